// Command etl runs the nightly extract-transform-load workflow defined in
// tasks.go on the embedded SQLite store and prints what happened.
//
//	go run ./examples/etl                 # incremental run: archive is skipped
//	go run ./examples/etl -mode full      # full run: archive runs too
//	go run ./examples/etl -db sqlite:///tmp/etl.db
//	go run ./examples/etl -serve          # keep running: the nightly schedule fires at 02:00 Berlin time
//
// The database file is created on first use and reused afterwards, so
// every run adds to the same history. transform fails on its first attempt
// on purpose and succeeds on the retry; the table shows the two attempts.
// Ctrl-C or SIGTERM cancels the run and shuts the runner down cleanly.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
)

func main() {
	db := flag.String("db", runtime.DefaultDatabaseURL, "database URL (sqlite://file.db, sqlite://:memory: or postgres://...)")
	mode := flag.String("mode", "incremental", `run mode given to the workflow; "full" also archives the totals`)
	serve := flag.Bool("serve", false, "after the run, keep running so the nightly schedule fires, until Ctrl-C")
	flag.Parse()
	if err := run(*db, *mode, *serve); err != nil {
		fmt.Fprintln(os.Stderr, "etl:", err)
		os.Exit(1)
	}
}

func run(dbURL, mode string, serve bool) error {
	// Ctrl-C and SIGTERM (from kill, a service manager or a container
	// runtime) both cancel the execution and shut the runner down cleanly.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	runner, err := runtime.NewRunner(ctx, &runtime.Config{
		DatabaseURL: dbURL,
		// The runner's own logs stay quiet; the table below tells the story.
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		return err
	}
	defer func() {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = runner.Shutdown(shutdownCtx)
	}()

	input := runtime.NewContext()
	if err := input.Set("mode", mode); err != nil {
		return err
	}
	fmt.Printf("running workflow etl (version %s) on %s, mode %s\n\n", EtlVersion, dbURL, mode)
	res, execErr := runner.Execute(ctx, "etl", input)
	if res == nil {
		return execErr
	}
	printResult(res)
	if err := printSchedule(ctx, runner); err != nil {
		return err
	}
	if execErr != nil || !serve {
		return execErr
	}
	fmt.Println("\nserving: the runner fires the nightly schedule until Ctrl-C")
	<-ctx.Done()
	return nil
}

// printSchedule shows the schedule the runner stored from the
// //cloacina:schedule directive in tasks.go.
func printSchedule(ctx context.Context, runner *runtime.Runner) error {
	d, err := runner.DescribeSchedule(ctx, "nightly", 3)
	if err != nil {
		return err
	}
	loc, _ := time.LoadLocation(d.Timezone)
	fmt.Printf("\nschedule %s: %q in %s, catchup=%s, overlap=%s; next fires:", d.Name, d.Cron, d.Timezone, d.Catchup, d.Overlap)
	for _, at := range d.NextFires {
		fmt.Printf(" %s", at.In(loc).Format("2006-01-02 15:04 MST"))
	}
	fmt.Println()
	return nil
}

func printResult(res *runtime.PipelineResult) {
	w := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "TASK\tSTATUS\tATTEMPTS\tDURATION\tNOTE")
	for _, t := range res.Tasks {
		note := t.SkipReason
		if t.Err != nil {
			note = t.Err.Error()
		}
		dur := "-"
		if t.Duration > 0 {
			dur = t.Duration.Round(time.Millisecond).String()
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\n", t.TaskID, t.Status, t.Attempts, dur, note)
	}
	w.Flush()
	fmt.Printf("\nexecution %s: %s in %s\n\nfinal context:\n", res.ExecutionID, res.Status, res.Duration.Round(time.Millisecond))
	for _, key := range res.Context.Keys() {
		raw, _ := res.Context.Raw(key)
		fmt.Fprintf(w, "  %s\t%s\n", key, shorten(string(raw), 90))
	}
	w.Flush()
}

// shorten cuts s to at most n runes, marking the cut.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
