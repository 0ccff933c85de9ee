package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBinary builds the command and checks what only main decides: the
// process exit code and that piped output is not treated as a terminal.
func TestBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "cloacina")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	help := exec.Command(bin, "help")
	out, err := help.Output()
	if err != nil || !strings.Contains(string(out), "exit codes:") {
		t.Fatalf("help: %v\n%s", err, out)
	}
	noDB := exec.Command(bin, "executions", "list")
	noDB.Env = append(os.Environ(), "CLOACINA_DATABASE_URL=")
	stderr, err := noDB.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(stderr), "no database given") {
		t.Fatalf("without a database: %v\n%s", err, stderr)
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if isTerminal(f) {
		t.Fatal("a regular file is not a terminal")
	}
}
