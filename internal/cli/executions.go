package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/cloacina-go/cloacina/internal/suggest"
	"github.com/cloacina-go/cloacina/runtime"
)

// execJSON is an execution in --json output.
type execJSON struct {
	ID          string                 `json:"id"`
	Workflow    string                 `json:"workflow"`
	Version     string                 `json:"version"`
	Status      runtime.PipelineStatus `json:"status"`
	CreatedAt   time.Time              `json:"created_at,omitzero"`
	StartedAt   time.Time              `json:"started_at,omitzero"`
	CompletedAt time.Time              `json:"completed_at,omitzero"`
	DurationMS  *float64               `json:"duration_ms,omitempty"`
	Error       string                 `json:"error,omitempty"`
	Origin      string                 `json:"origin,omitempty"`
	OriginName  string                 `json:"origin_name,omitempty"`
	Headers     map[string]string      `json:"headers,omitempty"`
}

func toExecJSON(s runtime.ExecutionSummary) execJSON {
	return execJSON{ID: s.ID, Workflow: s.WorkflowName, Version: s.WorkflowVersion, Status: s.Status,
		CreatedAt: s.CreatedAt, StartedAt: s.StartedAt, CompletedAt: s.CompletedAt,
		DurationMS: durationMS(span(s.StartedAt, s.CompletedAt)),
		Error:      s.Error, Origin: s.Origin, OriginName: s.OriginName, Headers: s.Headers}
}

// origin prints what started an execution: "direct", "schedule:nightly",
// "trigger:inbox", "retry:<id>".
func origin(o, name string) string {
	if o == "" {
		return "direct"
	}
	if name == "" {
		return o
	}
	return o + ":" + name
}

func execListFlags(fs *flag.FlagSet) {
	fs.String("workflow", "", "only executions of this `workflow`")
	fs.String("status", "", "only executions in these `states`, comma separated (pending, running, paused, completed, failed, cancelled)")
	fs.Int("limit", 50, "at most this many executions")
	fs.String("origin", "", "only executions started this way: direct, schedule, trigger or retry; `kind:name` for one schedule, trigger or original")
	fs.Duration("since", 0, "only executions created within this `duration` (e.g. 24h)")
	fs.Duration("until", 0, "only executions created more than this `duration` ago")
	fs.String("cursor", "", "continue a listing from the `cursor` a previous page printed")
}

// parseStatuses reads "failed,cancelled" into pipeline states.
func parseStatuses(s string) ([]runtime.PipelineStatus, error) {
	if s == "" {
		return nil, nil
	}
	var all []string
	for st := runtime.PipelineStatus(0); !strings.HasPrefix(st.String(), "PipelineStatus("); st++ {
		all = append(all, strings.ToLower(st.String()))
	}
	var out []runtime.PipelineStatus
	for _, part := range strings.Split(s, ",") {
		part = strings.ToLower(strings.TrimSpace(part))
		i := indexOf(all, part)
		if i < 0 {
			return nil, usagef("--status: unknown state %q%s (states: %s)", part, suggest.DidYouMean(part, all), strings.Join(all, ", "))
		}
		out = append(out, runtime.PipelineStatus(i))
	}
	return out, nil
}

func indexOf(xs []string, x string) int {
	for i, s := range xs {
		if s == x {
			return i
		}
	}
	return -1
}

func execList(ctx context.Context, c *call) error {
	if len(c.args) > 0 {
		return usagef("unexpected argument %q", c.args[0])
	}
	statuses, err := parseStatuses(c.str("status"))
	if err != nil {
		return err
	}
	lo := runtime.ListOptions{Workflow: c.str("workflow"), Status: statuses, Limit: c.flagInt("limit")}
	if lo.Limit <= 0 {
		return usagef("--limit must be positive")
	}
	paged := c.str("origin") != "" || c.str("cursor") != "" || c.str("since") != "0s" || c.str("until") != "0s"
	return c.withRunner(ctx, func(r *runtime.Runner) error {
		var rows []runtime.ExecutionSummary
		next := ""
		if paged {
			po := &runtime.PageOptions{ListOptions: lo, Cursor: c.str("cursor")}
			po.Origin, po.OriginName, _ = strings.Cut(c.str("origin"), ":")
			now := time.Now()
			if d := c.fs.Lookup("since").Value.(flag.Getter).Get().(time.Duration); d > 0 {
				po.CreatedAfter = now.Add(-d)
			}
			if d := c.fs.Lookup("until").Value.(flag.Getter).Get().(time.Duration); d > 0 {
				po.CreatedBefore = now.Add(-d)
			}
			page, err := r.ListExecutionsPage(ctx, po)
			if err != nil {
				return fmt.Errorf("list executions: %w", err)
			}
			rows, next = page.Executions, page.Next
		} else {
			rows, err = r.ListExecutions(ctx, &lo)
			if err != nil {
				return fmt.Errorf("list executions: %w", err)
			}
		}
		if c.g.json {
			out := make([]execJSON, len(rows))
			for i, s := range rows {
				out[i] = toExecJSON(s)
			}
			if paged {
				return writeJSON(c.env.Stdout, struct {
					Executions []execJSON `json:"executions"`
					Next       string     `json:"next,omitempty"`
				}{out, next})
			}
			return writeJSON(c.env.Stdout, out)
		}
		if len(rows) == 0 {
			fmt.Fprintln(c.env.Stderr, "no executions")
			return nil
		}
		t := newTable(c.env.Stdout, "ID", "WORKFLOW", "VERSION", "STATUS", "ORIGIN", "CREATED", "DURATION", "ERROR")
		for _, s := range rows {
			t.row(s.ID, s.WorkflowName, shortVersion(s.WorkflowVersion), s.Status.String(), origin(s.Origin, s.OriginName),
				fmtTime(s.CreatedAt), fmtDuration(span(s.StartedAt, s.CompletedAt)), firstLine(s.Error))
		}
		if err := t.flush(); err != nil {
			return err
		}
		if next != "" {
			fmt.Fprintf(c.env.Stderr, "next page: --cursor %s\n", next)
		}
		return nil
	})
}

// shortVersion keeps the first 12 characters of a version hash.
func shortVersion(v string) string {
	if len(v) > 12 {
		return v[:12]
	}
	return v
}

// firstLine is the first line of s, cut at 80 characters.
func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}

// resolve finds the execution an id names: the id itself, or the one
// execution whose id starts with it. An unknown id is an error listing the
// closest ids.
func resolve(ctx context.Context, r *runtime.Runner, id string) (*runtime.Execution, error) {
	if id == "" {
		return nil, usagef("missing execution id")
	}
	ex, err := r.ExecutionByPrefix(ctx, id)
	if err == nil || !errors.Is(err, runtime.ErrExecutionNotFound) {
		return ex, err
	}
	recent, lerr := r.ListExecutions(ctx, &runtime.ListOptions{Limit: 1000})
	if lerr != nil {
		return nil, err
	}
	var ids []string
	for _, s := range recent {
		ids = append(ids, s.ID)
	}
	msg := fmt.Sprintf("no execution %q in this database", id)
	if close := closestIDs(id, ids, 3); len(close) > 0 {
		msg += "; the closest ids are " + strings.Join(close, ", ")
	} else if len(ids) == 0 {
		msg += " (it has no executions: is --db or --schema the one your runners use?)"
	}
	return nil, errors.New(msg + "\n  hint: 'cloacina executions list' shows the recent ones")
}

// closestIDs returns up to n ids nearest to id: those within a small edit
// distance first, then those sharing the longest prefix with it.
func closestIDs(id string, ids []string, n int) []string {
	out := suggest.Closest(id, ids)
	if len(out) < n {
		type scored struct {
			id     string
			common int
		}
		var byPrefix []scored
		for _, c := range ids {
			k := 0
			for k < len(c) && k < len(id) && c[k] == id[k] {
				k++
			}
			if k >= min(4, len(id)) && indexOf(out, c) < 0 {
				byPrefix = append(byPrefix, scored{c, k})
			}
		}
		sort.SliceStable(byPrefix, func(i, j int) bool {
			if byPrefix[i].common != byPrefix[j].common {
				return byPrefix[i].common > byPrefix[j].common
			}
			return byPrefix[i].id < byPrefix[j].id
		})
		for _, s := range byPrefix {
			out = append(out, s.id)
		}
	}
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// oneID checks there is exactly one positional argument, an id or name.
func (c *call) oneID(what string) (string, error) {
	switch len(c.args) {
	case 0:
		return "", usagef("missing %s", what)
	case 1:
		return c.args[0], nil
	}
	return "", usagef("expected one %s, got %d arguments", what, len(c.args))
}

// withExecution runs f with a runner and the execution named by the one
// argument (an id or an unambiguous prefix of one, see resolve).
func (c *call) withExecution(ctx context.Context, f func(r *runtime.Runner, ex *runtime.Execution) error) error {
	id, err := c.oneID("execution id")
	if err != nil {
		return err
	}
	return c.withRunner(ctx, func(r *runtime.Runner) error {
		ex, err := resolve(ctx, r, id)
		if err != nil {
			return err
		}
		return f(r, ex)
	})
}

// taskJSON is a task of an execution in --json output.
type taskJSON struct {
	ID          string             `json:"id"`
	Status      runtime.TaskStatus `json:"status"`
	Attempts    int                `json:"attempts"`
	StartedAt   time.Time          `json:"started_at,omitzero"`
	CompletedAt time.Time          `json:"completed_at,omitzero"`
	DurationMS  *float64           `json:"duration_ms,omitempty"`
	Error       string             `json:"error,omitempty"`
	SkipReason  string             `json:"skip_reason,omitempty"`
	// Input is the context the task was given, Output what it left.
	Input  *runtime.Context `json:"input,omitempty"`
	Output *runtime.Context `json:"output,omitempty"`
}

func toTaskJSON(t runtime.TaskResult) taskJSON {
	return taskJSON{ID: t.TaskID, Status: t.Status, Attempts: t.Attempts, StartedAt: t.StartedAt, CompletedAt: t.CompletedAt,
		DurationMS: durationMS(span(t.StartedAt, t.CompletedAt)), Error: taskError(t), SkipReason: t.SkipReason,
		Input: t.Input, Output: t.Output}
}

// resultJSON is an execution with its tasks in --json output.
type resultJSON struct {
	ID          string                 `json:"id"`
	Workflow    string                 `json:"workflow"`
	Version     string                 `json:"version"`
	Status      runtime.PipelineStatus `json:"status"`
	StartedAt   time.Time              `json:"started_at,omitzero"`
	CompletedAt time.Time              `json:"completed_at,omitzero"`
	DurationMS  *float64               `json:"duration_ms,omitempty"`
	Error       string                 `json:"error,omitempty"`
	Tasks       []taskJSON             `json:"tasks"`
	Context     *runtime.Context       `json:"context,omitempty"`
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// taskError is what a task's error says, without the "task x:" prefix a
// table already shows in its own column.
func taskError(t runtime.TaskResult) string {
	var te *runtime.TaskError
	if errors.As(t.Err, &te) && te.Err != nil {
		return te.Err.Error()
	}
	return errText(t.Err)
}

func execShowFlags(fs *flag.FlagSet) {
	fs.String("task", "", "show this `task`: its state, and the input it saw and the output it left")
}

func execShow(ctx context.Context, c *call) error {
	return c.withExecution(ctx, func(r *runtime.Runner, ex *runtime.Execution) error {
		res, err := ex.Result(ctx)
		if err != nil {
			return err
		}
		if task := c.str("task"); task != "" {
			return printTask(c, res, task)
		}
		return printResult(c, res)
	})
}

// printTask prints one task of an execution with its input and output.
func printTask(c *call, res *runtime.PipelineResult, id string) error {
	tr, ok := res.Task(id)
	if !ok {
		var ids []string
		for _, t := range res.Tasks {
			ids = append(ids, t.TaskID)
		}
		return fmt.Errorf("execution %s has no task %q%s (tasks: %s)", res.ExecutionID, id, suggest.DidYouMean(id, ids), strings.Join(ids, ", "))
	}
	w := c.env.Stdout
	if c.g.json {
		return writeJSON(w, toTaskJSON(tr))
	}
	t := newTable(w)
	t.row("Task", tr.TaskID)
	t.row("Execution", res.ExecutionID)
	t.row("Status", tr.Status.String())
	t.row("Attempts", fmt.Sprint(tr.Attempts))
	t.row("Started", fmtTime(tr.StartedAt))
	t.row("Completed", fmtTime(tr.CompletedAt))
	t.row("Duration", fmtDuration(span(tr.StartedAt, tr.CompletedAt)))
	if e := taskError(tr); e != "" {
		t.row("Error", e)
	}
	if tr.SkipReason != "" {
		t.row("Skipped", tr.SkipReason)
	}
	if err := t.flush(); err != nil {
		return err
	}
	for _, part := range []struct {
		name string
		ctx  *runtime.Context
	}{{"Input", tr.Input}, {"Output", tr.Output}} {
		fmt.Fprintf(w, "\n%s:\n", part.name)
		if part.ctx == nil {
			fmt.Fprintln(w, "  none yet")
			continue
		}
		if err := writeJSON(w, part.ctx); err != nil {
			return err
		}
	}
	return nil
}

// printResult prints an execution and its tasks.
func printResult(c *call, res *runtime.PipelineResult) error {
	w := c.env.Stdout
	if c.g.json {
		out := resultJSON{ID: res.ExecutionID, Workflow: res.WorkflowName, Version: res.WorkflowVersion, Status: res.Status,
			StartedAt: res.StartedAt, CompletedAt: res.CompletedAt, DurationMS: durationMS(res.Duration, !res.CompletedAt.IsZero()),
			Error: errText(res.Err), Tasks: []taskJSON{}, Context: res.Context}
		for _, t := range res.Tasks {
			out.Tasks = append(out.Tasks, toTaskJSON(t))
		}
		return writeJSON(w, out)
	}
	t := newTable(w)
	t.row("Execution", res.ExecutionID)
	t.row("Workflow", res.WorkflowName+" (version "+shortVersion(res.WorkflowVersion)+")")
	t.row("Status", res.Status.String())
	t.row("Started", fmtTime(res.StartedAt))
	t.row("Completed", fmtTime(res.CompletedAt))
	t.row("Duration", fmtDuration(res.Duration, !res.CompletedAt.IsZero()))
	if res.Err != nil {
		t.row("Error", res.Err.Error())
	}
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	t = newTable(w, "TASK", "STATUS", "ATTEMPTS", "STARTED", "DURATION", "DETAIL")
	for _, tr := range res.Tasks {
		detail := taskError(tr)
		if detail == "" {
			detail = tr.SkipReason
		}
		t.row(tr.TaskID, tr.Status.String(), fmt.Sprint(tr.Attempts), fmtTime(tr.StartedAt),
			fmtDuration(span(tr.StartedAt, tr.CompletedAt)), firstLine(detail))
	}
	return t.flush()
}

func execEventsFlags(fs *flag.FlagSet) {
	fs.Bool("follow", false, "keep printing events as they are stored")
	fs.String("workflow", "", "with --follow and no id: only events of this `workflow`'s executions")
	fs.String("from", "", "with --follow: start after this event `cursor` (from --json output; 0-0 is the start of the log)")
}

// eventJSON is an event in --json output.
type eventJSON struct {
	ID          int64     `json:"id"`
	Cursor      string    `json:"cursor"`
	ExecutionID string    `json:"execution_id"`
	Workflow    string    `json:"workflow"`
	Version     string    `json:"version"`
	Kind        string    `json:"kind"`
	Task        string    `json:"task,omitempty"`
	Attempt     int       `json:"attempt,omitempty"`
	Runner      string    `json:"runner,omitempty"`
	Message     string    `json:"message,omitempty"`
	At          time.Time `json:"at"`
}

// printEvent prints one event: a line of JSON, or a fixed-width text line
// (fixed widths, because a followed stream cannot be aligned afterwards).
func printEvent(w io.Writer, asJSON, withExecution bool, ev runtime.Event) error {
	if asJSON {
		return writeJSONLine(w, eventJSON{ID: ev.ID, Cursor: ev.Cursor.String(), ExecutionID: ev.ExecutionID, Workflow: ev.WorkflowName,
			Version: ev.WorkflowVersion, Kind: ev.Kind, Task: ev.TaskID, Attempt: ev.Attempt, Runner: ev.RunnerID, Message: ev.Message, At: ev.At})
	}
	var b strings.Builder
	b.WriteString(ev.At.UTC().Format(eventTimeLayout))
	if withExecution {
		b.WriteString("  " + ev.ExecutionID + " " + ev.WorkflowName)
	}
	fmt.Fprintf(&b, "  %-19s", ev.Kind)
	msg := strings.ReplaceAll(ev.Message, "\n", " ")
	if ev.TaskID != "" {
		b.WriteString("  " + ev.TaskID)
		if ev.Attempt > 0 {
			fmt.Fprintf(&b, " (attempt %d)", ev.Attempt)
		}
		if msg != "" {
			b.WriteString(": " + msg)
		}
	} else if msg != "" {
		b.WriteString("  " + msg)
	}
	_, err := fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	return err
}

func execEvents(ctx context.Context, c *call) error {
	follow := c.flagBool("follow")
	var id string
	switch {
	case len(c.args) > 1:
		return usagef("expected at most one execution id, got %d arguments", len(c.args))
	case len(c.args) == 1:
		id = c.args[0]
	case !follow:
		return usagef("missing execution id (or pass --follow to follow every execution)")
	}
	if c.str("workflow") != "" && id != "" {
		return usagef("--workflow filters a follow of every execution; it cannot be combined with an id")
	}
	var from runtime.Cursor
	fromFlag := c.str("from")
	if fromFlag != "" {
		if !follow {
			return usagef("--from needs --follow")
		}
		var err error
		if from, err = runtime.ParseCursor(fromFlag); err != nil {
			return usagef("--from: %v", err)
		}
	}
	return c.withRunner(ctx, func(r *runtime.Runner) error {
		f := runtime.EventFilter{Workflow: c.str("workflow"), From: from}
		if id != "" {
			ex, err := resolve(ctx, r, id)
			if err != nil {
				return err
			}
			if !follow {
				evs, err := r.Events(ctx, ex.ID())
				if err != nil {
					return err
				}
				for _, ev := range evs {
					if err := printEvent(c.env.Stdout, c.g.json, false, ev); err != nil {
						return err
					}
				}
				return nil
			}
			f.ExecutionID, f.UntilEnd = ex.ID(), true
		} else if fromFlag == "" {
			// Every execution from now; --from 0-0 is the start of the log.
			f.FromNow = true
		}
		sub, err := r.Subscribe(ctx, f)
		if errors.Is(err, runtime.ErrUnknownCursor) {
			return usagef("--from %s: no event of this database has reached it; take a cursor from the --json output of a follow of this database (0-0 is the start of the log)", fromFlag)
		}
		if err != nil {
			return err
		}
		defer sub.Close()
		for {
			ev, err := sub.Next(ctx)
			switch {
			case errors.Is(err, io.EOF):
				return nil
			case ctx.Err() != nil:
				// Interrupted: a follow ends when the user stops it.
				return nil
			case err != nil:
				return err
			}
			if err := printEvent(c.env.Stdout, c.g.json, id == "", ev); err != nil {
				return err
			}
		}
	})
}

// simple runs an action on one execution and says whether it changed it.
func simple(ctx context.Context, c *call, verb string, act func(*runtime.Runner, string) (bool, error)) error {
	return c.withExecution(ctx, func(r *runtime.Runner, ex *runtime.Execution) error {
		done, err := act(r, ex.ID())
		if err != nil {
			return fmt.Errorf("%s execution %s: %w", strings.TrimSuffix(verb, "d"), ex.ID(), err)
		}
		st, err := ex.Status(ctx)
		if err != nil {
			return err
		}
		if c.g.json {
			return writeJSON(c.env.Stdout, struct {
				ID      string                 `json:"id"`
				Changed bool                   `json:"changed"`
				Status  runtime.PipelineStatus `json:"status"`
			}{ex.ID(), done, st})
		}
		if done {
			fmt.Fprintf(c.env.Stdout, "%s %s\n", verb, ex.ID())
		} else {
			fmt.Fprintf(c.env.Stdout, "not %s: execution %s is %s\n", verb, ex.ID(), st)
		}
		return nil
	})
}

func execCancel(ctx context.Context, c *call) error {
	return simple(ctx, c, "cancelled", func(r *runtime.Runner, id string) (bool, error) { return r.Cancel(ctx, id) })
}

func execPause(ctx context.Context, c *call) error {
	return simple(ctx, c, "paused", func(r *runtime.Runner, id string) (bool, error) { return r.Pause(ctx, id) })
}

func execResume(ctx context.Context, c *call) error {
	return simple(ctx, c, "resumed", func(r *runtime.Runner, id string) (bool, error) { return r.Resume(ctx, id) })
}

func execWait(ctx context.Context, c *call) error {
	return c.withExecution(ctx, func(r *runtime.Runner, ex *runtime.Execution) error {
		return follow(ctx, c, r, ex)
	})
}

func execRetryFlags(fs *flag.FlagSet) {
	fs.String("mode", string(runtime.RetryModeFailed), "`mode`: failed (re-run what failed, in place) or all (a new execution with the same input)")
	waitFlags(fs)
}

func execRetry(ctx context.Context, c *call) error {
	mode := runtime.RetryMode(c.str("mode"))
	if mode != runtime.RetryModeFailed && mode != runtime.RetryModeAll {
		return usagef("--mode must be failed or all, not %q", mode)
	}
	return c.withExecution(ctx, func(r *runtime.Runner, ex *runtime.Execution) error {
		// A retry in place ends with a second end event: follow the
		// events after the current last one.
		var from runtime.Cursor
		if mode == runtime.RetryModeFailed {
			evs, err := r.Events(ctx, ex.ID())
			if err != nil {
				return err
			}
			if len(evs) > 0 {
				from = evs[len(evs)-1].Cursor
			}
		}
		nx, err := r.Retry(ctx, ex.ID(), mode)
		if errors.Is(err, runtime.ErrNotRetryable) {
			st, _ := ex.Status(ctx)
			hint := "only a finished execution can be retried"
			if st == runtime.PipelineStatusCompleted {
				hint = "it completed: nothing failed to re-run; use --mode all to run it again"
			}
			return fmt.Errorf("execution %s is %s: %s", ex.ID(), st, hint)
		}
		if err != nil {
			return fmt.Errorf("retry execution %s: %w", ex.ID(), err)
		}
		if !c.flagBool("wait") {
			return printStarted(c, nx)
		}
		if nx.ID() != ex.ID() {
			from = runtime.Cursor{}
		}
		return followFrom(ctx, c, r, nx, from)
	})
}

// printStarted prints the id of an execution the command started.
func printStarted(c *call, ex *runtime.Execution) error {
	if c.g.json {
		return writeJSON(c.env.Stdout, struct {
			ID string `json:"id"`
		}{ex.ID()})
	}
	_, err := fmt.Fprintln(c.env.Stdout, ex.ID())
	return err
}
