package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/cloacina-go/cloacina/runtime"
)

// progressWidth caps the redrawn progress line, so it never wraps on a
// standard terminal (a wrapped line cannot be redrawn with a carriage
// return).
const progressWidth = 79

// follow waits for an execution to end, showing its progress, prints the
// outcome and returns errExecutionFailed unless it completed.
func follow(ctx context.Context, c *call, r *runtime.Runner, ex *runtime.Execution) error {
	return followFrom(ctx, c, r, ex, runtime.Cursor{})
}

// followFrom is follow for the events after from (a retried execution's
// earlier end is not its end).
func followFrom(ctx context.Context, c *call, r *runtime.Runner, ex *runtime.Execution, from runtime.Cursor) error {
	res, err := ex.Result(ctx)
	if err != nil {
		return err
	}
	p := &progress{w: c.env.Stdout, terminal: c.env.Terminal, quiet: c.g.json, id: ex.ID(), workflow: res.WorkflowName,
		total: len(res.Tasks), running: map[string]bool{}, done: map[string]bool{}}
	sub, err := r.Subscribe(ctx, runtime.EventFilter{ExecutionID: ex.ID(), UntilEnd: true, From: from})
	if err != nil {
		return err
	}
	defer sub.Close()
	for {
		ev, err := sub.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			p.clear()
			if ctx.Err() != nil {
				return fmt.Errorf("stopped waiting; execution %s goes on (see 'cloacina executions show %s')", ex.ID(), ex.ID())
			}
			return err
		}
		p.event(ev)
	}
	p.clear()
	res, err = ex.Result(ctx)
	if err != nil {
		return err
	}
	if c.g.json {
		if err := printResult(c, res); err != nil {
			return err
		}
	} else {
		p.summary(res)
	}
	if res.Status != runtime.PipelineStatusCompleted {
		return errExecutionFailed
	}
	return nil
}

// progress shows an execution's tasks done of total and the running ones:
// one redrawn line on a terminal, one line per event otherwise.
type progress struct {
	w               io.Writer
	terminal, quiet bool
	id, workflow    string
	total           int
	running, done   map[string]bool
	drawn           bool
}

// event updates the state from one event and shows it.
func (p *progress) event(ev runtime.Event) {
	if t := ev.TaskID; t != "" {
		switch ev.Kind {
		case "task_started":
			p.running[t] = true
		case "task_retrying", "task_recovered":
			delete(p.running, t)
		case "task_completed", "task_failed", "task_skipped", "task_cancelled", "task_abandoned":
			delete(p.running, t)
			p.done[t] = true
		}
	}
	if p.quiet {
		return
	}
	if p.terminal {
		p.draw()
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[%d/%d] %s", len(p.done), p.total, ev.Kind)
	if ev.TaskID != "" {
		b.WriteString(" " + ev.TaskID)
		if ev.Attempt > 0 {
			fmt.Fprintf(&b, " (attempt %d)", ev.Attempt)
		}
	}
	if ev.Message != "" {
		b.WriteString(": " + firstLine(ev.Message))
	}
	fmt.Fprintln(p.w, b.String())
}

// draw redraws the terminal's progress line.
func (p *progress) draw() {
	names := make([]string, 0, len(p.running))
	for t := range p.running {
		names = append(names, t)
	}
	sort.Strings(names)
	line := fmt.Sprintf("%s %s  %d/%d tasks done", p.workflow, p.id, len(p.done), p.total)
	if len(names) > 0 {
		line += "  running: " + strings.Join(names, ", ")
	}
	if len(line) > progressWidth {
		line = line[:progressWidth-3] + "..."
	}
	fmt.Fprint(p.w, "\r\x1b[K"+line)
	p.drawn = true
}

// clear removes the terminal's progress line.
func (p *progress) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// summary prints how the execution ended and what failed.
func (p *progress) summary(res *runtime.PipelineResult) {
	completed := 0
	for _, t := range res.Tasks {
		if t.Status == runtime.TaskStatusCompleted {
			completed++
		}
	}
	fmt.Fprintf(p.w, "execution %s %s in %s: %d of %d tasks completed\n", res.ExecutionID, res.Status,
		fmtDuration(res.Duration, true), completed, len(res.Tasks))
	for _, t := range res.Tasks {
		switch {
		case t.Status == runtime.TaskStatusFailed:
			fmt.Fprintf(p.w, "  %s failed after %d attempt(s): %s\n", t.TaskID, t.Attempts, taskError(t))
		case t.Status == runtime.TaskStatusSkipped && res.Status != runtime.PipelineStatusCompleted:
			fmt.Fprintf(p.w, "  %s skipped: %s\n", t.TaskID, t.SkipReason)
		}
	}
	if res.Status != runtime.PipelineStatusCompleted && res.Err != nil {
		var te *runtime.TaskError
		if !errors.As(res.Err, &te) {
			fmt.Fprintf(p.w, "  %s\n", res.Err)
		}
	}
}
