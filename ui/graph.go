package ui

import (
	"errors"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/ui/internal/layout"
)

// graphView is a workflow's DAG ready for the SVG template.
type graphView struct {
	Width, Height float64
	Nodes         []nodeView
	Edges         []string // SVG path data
	// Note says what the drawing lacks, such as edges of an unknown version.
	Note string
}

type nodeView struct {
	ID, Label  string
	X, Y, W, H float64
	// State is the CSS class and Status the label of the task's state;
	// empty for a workflow drawn without an execution.
	State, Status string
	Title         string
}

// graphTask is one task to draw.
type graphTask struct {
	ID     string
	Deps   []string
	Result *runtime.TaskResult // nil outside an execution
}

const maxLabel = 22

func buildGraph(tasks []graphTask) *graphView {
	nodes := make([]layout.Node, len(tasks))
	for i, t := range tasks {
		nodes[i] = layout.Node{ID: t.ID, Deps: t.Deps}
	}
	l := layout.Compute(nodes, layout.Options{NodeWidth: 180, NodeHeight: 40})
	g := &graphView{Width: l.Width + 2, Height: l.Height + 2}
	for i, n := range l.Nodes {
		t := tasks[i]
		v := nodeView{ID: n.ID, Label: n.ID, X: n.X + 1, Y: n.Y + 1, W: n.W, H: n.H, Title: n.ID}
		if len(v.Label) > maxLabel {
			v.Label = v.Label[:maxLabel-1] + "…"
		}
		if r := t.Result; r != nil {
			v.State, v.Status = taskClass(r.Status), r.Status.String()
			v.Title = fmt.Sprintf("%s: %s, %d attempt(s)", n.ID, r.Status, r.Attempts)
			if r.Duration > 0 {
				v.Title += ", " + fmtDuration(r.Duration)
			}
			if msg := taskError(r); msg != "" {
				v.Title += "\n" + msg
			}
			if r.SkipReason != "" {
				v.Title += "\nskipped: " + r.SkipReason
			}
		}
		g.Nodes = append(g.Nodes, v)
	}
	for _, e := range l.Edges {
		var b strings.Builder
		for j, p := range e.Points {
			if j == 0 {
				fmt.Fprintf(&b, "M%.1f %.1f", p.X+1, p.Y+1)
				continue
			}
			q := e.Points[j-1]
			mid := (q.X + p.X) / 2
			fmt.Fprintf(&b, " C%.1f %.1f %.1f %.1f %.1f %.1f", mid+1, q.Y+1, mid+1, p.Y+1, p.X+1, p.Y+1)
		}
		g.Edges = append(g.Edges, b.String())
	}
	return g
}

// taskClass is the CSS class of a task state.
func taskClass(s runtime.TaskStatus) string {
	switch s {
	case runtime.TaskStatusReady:
		return "ready"
	case runtime.TaskStatusRunning:
		return "running"
	case runtime.TaskStatusCompleted:
		return "completed"
	case runtime.TaskStatusFailed:
		return "failed"
	case runtime.TaskStatusSkipped:
		return "skipped"
	case runtime.TaskStatusCancelled:
		return "cancelled"
	}
	return "notstarted"
}

// eventTaskState is the state class and label a task has after an event,
// for the live view; "" for events that are not about a task's state.
func eventTaskState(kind string) (class, label string) {
	switch kind {
	case store.EventTaskStarted:
		return "running", "Running"
	case store.EventTaskCompleted:
		return "completed", "Completed"
	case store.EventTaskFailed, store.EventTaskAbandoned:
		return "failed", "Failed"
	case store.EventTaskRetrying, store.EventTaskRecovered:
		return "ready", "Ready"
	case store.EventTaskSkipped:
		return "skipped", "Skipped"
	case store.EventTaskCancelled:
		return "cancelled", "Cancelled"
	}
	return "", ""
}

// eventExecStatus is the execution's status after an event, or "".
func eventExecStatus(kind string) string {
	switch kind {
	case store.EventExecutionCreated:
		return "Pending"
	case store.EventExecutionCompleted:
		return "Completed"
	case store.EventExecutionFailed:
		return "Failed"
	case store.EventExecutionCancelled:
		return "Cancelled"
	case store.EventExecutionPaused:
		return "Paused"
	case store.EventExecutionResumed:
		return "Running"
	}
	return ""
}

// taskError is the message of a task's last error, without the
// `task "x" attempt n:` prefix the table shows in its own columns.
func taskError(r *runtime.TaskResult) string {
	if r.Err == nil {
		return ""
	}
	var te *runtime.TaskError
	if asTaskError(r.Err, &te) && te.Err != nil {
		return te.Err.Error()
	}
	return r.Err.Error()
}

// ganttView is the timeline of an execution's attempts.
type ganttView struct {
	Start, End time.Time
	Rows       []ganttRow
	Ticks      []ganttTick
}

type ganttRow struct {
	Task string
	Bars []ganttBar
}

type ganttBar struct {
	Attempt int
	State   string       // CSS class of how the attempt ended
	Style   template.CSS // left and width in percent, computed here
	Title   string
}

type ganttTick struct {
	Label string
	Style template.CSS
}

// attemptEnds maps the events that end an attempt to the class of its bar.
var attemptEnds = map[string]string{
	store.EventTaskCompleted: "completed",
	store.EventTaskFailed:    "failed",
	store.EventTaskRetrying:  "failed",
	store.EventTaskCancelled: "cancelled",
	store.EventTaskRecovered: "cancelled",
	store.EventTaskAbandoned: "failed",
}

// buildGantt derives the attempts from the event log: each task_started
// opens one, the task's next outcome event closes it; one still open runs
// until now.
func buildGantt(events []runtime.Event, order []string, now time.Time) *ganttView {
	type open struct {
		start   time.Time
		attempt int
	}
	opened := map[string]*open{}
	rows := map[string]*ganttRow{}
	type bar struct {
		task       string
		attempt    int
		state      string
		start, end time.Time
		message    string
	}
	var bars []bar
	g := &ganttView{}
	for _, ev := range events {
		if g.Start.IsZero() || ev.At.Before(g.Start) {
			g.Start = ev.At
		}
		if ev.At.After(g.End) {
			g.End = ev.At
		}
		if ev.TaskID == "" {
			continue
		}
		if ev.Kind == store.EventTaskStarted {
			opened[ev.TaskID] = &open{start: ev.At, attempt: ev.Attempt}
			continue
		}
		if cls, ok := attemptEnds[ev.Kind]; ok {
			if o := opened[ev.TaskID]; o != nil {
				bars = append(bars, bar{ev.TaskID, o.attempt, cls, o.start, ev.At, ev.Message})
				delete(opened, ev.TaskID)
			}
		}
	}
	for task, o := range opened {
		bars = append(bars, bar{task, o.attempt, "running", o.start, now, "running"})
		if now.After(g.End) {
			g.End = now
		}
	}
	if len(bars) == 0 {
		return g
	}
	span := g.End.Sub(g.Start)
	if span <= 0 {
		span = time.Millisecond
	}
	pct := func(t time.Time) float64 { return 100 * float64(t.Sub(g.Start)) / float64(span) }
	for _, b := range bars {
		r := rows[b.task]
		if r == nil {
			r = &ganttRow{Task: b.task}
			rows[b.task] = r
		}
		left := pct(b.start)
		width := max(pct(b.end)-left, 0.4)
		title := fmt.Sprintf("%s attempt %d: %s, %s", b.task, b.attempt, b.state, fmtDuration(b.end.Sub(b.start)))
		if b.message != "" && b.state != "running" {
			title += "\n" + b.message
		}
		r.Bars = append(r.Bars, ganttBar{Attempt: b.attempt, State: b.state, Title: title,
			Style: template.CSS(fmt.Sprintf("left:%.2f%%;width:%.2f%%", left, min(width, 100-left)))})
	}
	for _, id := range order {
		if r := rows[id]; r != nil {
			g.Rows = append(g.Rows, *r)
		}
	}
	for i := range 5 {
		f := float64(i) / 4
		style := template.CSS(fmt.Sprintf("left:%.0f%%", f*100))
		if i == 4 { // the last label ends at the right edge
			style = "right:0"
		}
		g.Ticks = append(g.Ticks, ganttTick{Label: "+" + fmtDuration(time.Duration(f*float64(span))), Style: style})
	}
	return g
}

// fmtDuration prints a duration rounded for reading.
func fmtDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func asTaskError(err error, target **runtime.TaskError) bool { return errors.As(err, target) }
