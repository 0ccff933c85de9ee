// Command cloacina operates the workflows of a Cloacina database: it
// lists, inspects, follows, cancels, pauses, resumes, retries and purges
// executions, draws and starts workflows, operates schedules and serves
// the web UI.
//
//	cloacina --db postgres://app@db/app executions list --status failed
//	cloacina executions events --follow 3f2a
//	cloacina run etl --input '{"day":"2026-01-31"}' --wait
//
// The database is --db, or $CLOACINA_DATABASE_URL. Exit codes: 0 success;
// 1 the execution waited for failed or was cancelled; 2 any other error
// (usage, an unknown name or id, a database that cannot be reached). Run
// `cloacina help` for the commands; the logic is in internal/cli.
package main

import (
	"context"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/cloacina-go/cloacina/internal/cli"
	"github.com/cloacina-go/cloacina/ui"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, &cli.Env{
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
		Stdin:    os.Stdin,
		Terminal: isTerminal(os.Stdout),
		UI:       webUI,
	}, os.Args[1:])
	stop()
	os.Exit(code)
}

// webUI is package ui's handler on the command's runner and registry.
func webUI(o cli.UIOptions) (http.Handler, error) {
	return ui.Handler(ui.Options{Runner: o.Runner, Registry: o.Registry, Prefix: o.Prefix, ReadOnly: o.ReadOnly}), nil
}

// isTerminal reports whether f is a character device (a terminal) that
// understands cursor control: live progress redraws one line there.
func isTerminal(f *os.File) bool {
	if os.Getenv("TERM") == "dumb" {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
