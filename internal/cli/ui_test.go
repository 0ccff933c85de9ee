package cli_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/cloacina-go/cloacina/internal/cli"
)

// TestUIServes runs `cloacina ui` with a stand-in handler: it is mounted
// under --prefix (and sees the prefix on the path, as ui.Handler expects),
// told the options, and the server stops when the command's context ends.
func TestUIServes(t *testing.T) {
	url := createdSQLite(t)
	var got cli.UIOptions
	env := cli.Env{UI: func(o cli.UIOptions) (http.Handler, error) {
		got = o
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "ui at "+r.URL.Path)
		}), nil
	}}
	out := newSyncBuffer()
	env.Stdout, env.Stderr, env.Getenv = out, out, func(string) string { return "" }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int)
	go func() {
		done <- cli.Run(ctx, &env, []string{"--db", url, "ui", "--addr", "127.0.0.1:0", "--prefix", "/ops", "--read-only"})
	}()
	out.waitFor(t, "/ops/\n")
	m := regexp.MustCompile(`serving the web UI \(read-only\) on (http://127\.0\.0\.1:\d+)/ops/`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("output: %q", out.String())
	}
	resp, err := http.Get(m[1] + "/ops/executions")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "ui at /ops/executions" {
		t.Fatalf("body %q", body)
	}
	if got.Runner == nil || got.Registry == nil || len(got.Registry.Names()) != 0 || !got.ReadOnly || got.Prefix != "/ops" {
		t.Fatalf("options: %+v", got)
	}
	cancel()
	if code := <-done; code != cli.ExitOK {
		t.Fatalf("exit %d\n%s", code, out.String())
	}
}

// TestUIMissing: a build without the web UI says so.
func TestUIMissing(t *testing.T) {
	res := mustRun(t, cli.ExitUsage, createdSQLite(t), "ui")
	if !strings.Contains(res.stderr, "this build of cloacina has no web UI") {
		t.Fatalf("stderr: %s", res.stderr)
	}
}
