package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
)

// build compiles the command into a temporary directory.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "cloacina")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestBinary builds the command and checks what only main decides: the
// process exit code and that piped output is not treated as a terminal.
func TestBinary(t *testing.T) {
	bin := build(t)
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

// TestServesWebUI runs `cloacina ui` as a process: it serves package ui's
// pages about the database's executions under --prefix, refuses actions
// when read-only, and exits 0 on SIGINT.
func TestServesWebUI(t *testing.T) {
	bin := build(t)
	url := "sqlite://" + filepath.Join(t.TempDir(), "cloacina.db")
	reg := runtime.NewRegistry()
	reg.MustRegister(runtime.NewWorkflow("hello").Add(&runtime.Task{ID: "greet",
		Func: func(context.Context, *runtime.Context) error { return nil }}).MustBuild())
	r, err := runtime.NewRunner(context.Background(), &runtime.Config{DatabaseURL: url, Registry: reg,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Execute(context.Background(), "hello", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	ui := exec.Command(bin, "--db", url, "ui", "--addr", "127.0.0.1:0", "--prefix", "/ops", "--read-only")
	stdout, err := ui.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	ui.Stderr = &stderr
	if err := ui.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = ui.Process.Kill()
		t.Fatalf("reading the address: %v (stderr: %s)", err, stderr.String())
	}
	m := regexp.MustCompile(`on (http://\S+)/ops/`).FindStringSubmatch(line)
	if m == nil {
		_ = ui.Process.Kill()
		t.Fatalf("first line %q", line)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(m[1] + "/ops/executions")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), res.ExecutionID) {
		t.Errorf("GET /ops/executions: %d, execution %s listed: %v", resp.StatusCode, res.ExecutionID, strings.Contains(string(body), res.ExecutionID))
	}
	post, err := client.Post(m[1]+"/ops/executions/"+res.ExecutionID+"/cancel", "application/x-www-form-urlencoded", nil)
	if err != nil {
		t.Fatal(err)
	}
	post.Body.Close()
	if post.StatusCode != http.StatusForbidden {
		t.Errorf("POST in read-only mode: %d, want 403", post.StatusCode)
	}
	client.CloseIdleConnections()
	if err := ui.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := ui.Wait(); err != nil {
		t.Fatalf("exit after SIGINT: %v (stderr: %s)", err, stderr.String())
	}
}
