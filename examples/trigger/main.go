// Command trigger shows a workflow started by a trigger: a function the
// runner polls, which returns the input of an execution to start, or nil.
// It drops three files into an inbox and waits until the trigger has
// started one ingest for each.
//
//	go run ./examples/trigger
//	go run ./examples/trigger -db postgres://...   # any number of processes; one polls at a time
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
)

func main() {
	db := flag.String("db", "sqlite://:memory:", "database URL")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *db, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "trigger:", err)
		os.Exit(1)
	}
}

// run drops three files into a new inbox and reports on out as the
// trigger ingests them; it returns once all three are ingested.
func run(ctx context.Context, dbURL string, out io.Writer) error {
	dir, err := os.MkdirTemp("", "cloacina-inbox-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	inbox = dir
	for i, rows := range []int{3, 5, 2} {
		name := filepath.Join(dir, fmt.Sprintf("orders-%d.csv", i+1))
		data := ""
		for r := range rows {
			data += fmt.Sprintf("row %d\n", r+1)
		}
		if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
			return err
		}
	}
	runner, err := runtime.NewRunner(ctx, &runtime.Config{DatabaseURL: dbURL, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = runner.Shutdown(sctx)
	}()
	fmt.Fprintf(out, "watching %s; the trigger polls every 200ms\n", dir)
	for range 3 {
		select {
		case report := <-archived:
			fmt.Fprintln(out, "ingested", report)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	sums, err := runner.ListExecutions(ctx, &runtime.ListOptions{Workflow: "ingest"})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d executions of ingest, all started by trigger %q\n", len(sums), sums[0].OriginName)
	return nil
}
