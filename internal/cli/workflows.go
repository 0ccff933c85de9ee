package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/cloacina-go/cloacina/internal/dag"
	"github.com/cloacina-go/cloacina/internal/graphtext"
	"github.com/cloacina-go/cloacina/runtime"
)

// workflowJSON is a recorded workflow definition in --json output.
type workflowJSON struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	Description string `json:"description,omitempty"`
	Author      string `json:"author,omitempty"`
	Tenant      string `json:"tenant,omitempty"`
	// Inputs are the declared inputs as name:type (name alone for any
	// type); absent when the workflow accepts any input, empty when none.
	Inputs     *[]string  `json:"inputs,omitempty"`
	Tasks      []taskDefJ `json:"tasks"`
	Schedules  []string   `json:"schedules,omitempty"`
	Triggers   []string   `json:"triggers,omitempty"`
	RecordedBy string     `json:"recorded_by,omitempty"`
	RecordedAt time.Time  `json:"recorded_at,omitzero"`
}

type taskDefJ struct {
	ID           string   `json:"id"`
	Dependencies []string `json:"dependencies"`
	Trigger      string   `json:"trigger,omitempty"`
	MaxAttempts  int      `json:"max_attempts,omitempty"`
	TimeoutMS    int64    `json:"timeout_ms,omitempty"`
}

func toWorkflowJSON(d runtime.WorkflowDefinition) workflowJSON {
	out := workflowJSON{Name: d.Name, Version: d.Version, Description: d.Description, Author: d.Author, Tenant: d.Tenant,
		Tasks: []taskDefJ{}, RecordedBy: d.RecordedBy, RecordedAt: d.RecordedAt}
	if d.InputsDeclared {
		ins := inputNames(d.Inputs)
		out.Inputs = &ins
	}
	for _, t := range d.Tasks {
		deps := t.Dependencies
		if deps == nil {
			deps = []string{}
		}
		out.Tasks = append(out.Tasks, taskDefJ{ID: t.ID, Dependencies: deps, Trigger: t.Trigger, MaxAttempts: t.Retry.MaxAttempts,
			TimeoutMS: t.Timeout.Milliseconds()})
	}
	for _, s := range d.Schedules {
		out.Schedules = append(out.Schedules, s.Name)
	}
	for _, t := range d.Triggers {
		out.Triggers = append(out.Triggers, t.Name)
	}
	return out
}

// inputNames writes declared inputs as inputs= does: name:type, or the
// name alone for any type.
func inputNames(inputs []runtime.Input) []string {
	out := make([]string, len(inputs))
	for i, in := range inputs {
		out[i] = in.String()
	}
	return out
}

func wfList(ctx context.Context, c *call) error {
	if len(c.args) > 0 {
		return usagef("unexpected argument %q", c.args[0])
	}
	return c.withRunner(ctx, func(r *runtime.Runner) error {
		defs, err := r.ListWorkflows(ctx)
		if err != nil {
			return fmt.Errorf("list workflows: %w", err)
		}
		if c.g.json {
			out := make([]workflowJSON, len(defs))
			for i, d := range defs {
				out[i] = toWorkflowJSON(d)
			}
			return writeJSON(c.env.Stdout, out)
		}
		if len(defs) == 0 {
			fmt.Fprintln(c.env.Stderr, "no workflows recorded: a runner records the workflows it registers when it starts")
			return nil
		}
		t := newTable(c.env.Stdout, "NAME", "VERSION", "TASKS", "SCHEDULES", "RECORDED", "DESCRIPTION")
		for _, d := range defs {
			t.row(d.Name, shortVersion(d.Version), fmt.Sprint(len(d.Tasks)), fmt.Sprint(len(d.Schedules)+len(d.Triggers)),
				fmtTime(d.RecordedAt), firstLine(d.Description))
		}
		return t.flush()
	})
}

func wfShowFlags(fs *flag.FlagSet) {
	fs.String("format", "text", "`format`: text, mermaid or dot")
	fs.String("version", "", "show this recorded `version` (a prefix will do) instead of the latest")
}

func wfShow(ctx context.Context, c *call) error {
	name, err := c.oneID("workflow name")
	if err != nil {
		return err
	}
	format := c.str("format")
	if format != "text" && format != "mermaid" && format != "dot" {
		return usagef("--format must be text, mermaid or dot, not %q", format)
	}
	return c.withRunner(ctx, func(r *runtime.Runner) error {
		defs, err := r.DescribeWorkflow(ctx, name)
		if err == nil && len(defs) == 0 || errors.Is(err, runtime.ErrWorkflowNotFound) {
			return unknownWorkflow(ctx, r, name)
		}
		if err != nil {
			return fmt.Errorf("describe workflow %s: %w", name, err)
		}
		def := defs[0]
		if v := c.str("version"); v != "" {
			var versions []string
			found := false
			for _, d := range defs {
				versions = append(versions, d.Version)
				if strings.HasPrefix(d.Version, v) && !found {
					def, found = d, true
				}
			}
			if !found {
				return fmt.Errorf("workflow %s has no recorded version %q; recorded versions, newest first: %s", name, v, strings.Join(versions, ", "))
			}
		}
		if c.g.json {
			return writeJSON(c.env.Stdout, toWorkflowJSON(def))
		}
		return writeGraph(c.env.Stdout, def, format, len(defs))
	})
}

// writeGraph prints a definition as text (a table of tasks by level, with
// their dependencies), Mermaid or DOT. Edges point from a task to the
// tasks that depend on it, the direction work flows.
func writeGraph(w io.Writer, def runtime.WorkflowDefinition, format string, versions int) error {
	nodes := make([]dag.Node, len(def.Tasks))
	for i, t := range def.Tasks {
		nodes[i] = dag.Node{ID: t.ID, Deps: t.Dependencies}
	}
	g, err := dag.Build(nodes)
	if err != nil {
		return fmt.Errorf("workflow %s version %s: its recorded graph is invalid: %w", def.Name, def.Version, err)
	}
	var b strings.Builder
	switch format {
	case "mermaid", "dot":
		gt := graphtext.Graph{Name: def.Name, Version: def.Version}
		for _, i := range g.Order() {
			gt.Nodes = append(gt.Nodes, graphtext.Node{ID: nodes[i].ID, Deps: nodes[i].Deps})
		}
		if err := graphtext.Write(&b, graphtext.Format(format), gt); err != nil {
			return err
		}
	default:
		t := newTable(&b)
		t.row("Workflow", def.Name)
		t.row("Version", fmt.Sprintf("%s (%d recorded)", def.Version, versions))
		if def.Description != "" {
			t.row("Description", def.Description)
		}
		if def.Author != "" {
			t.row("Author", def.Author)
		}
		if def.InputsDeclared {
			ins := strings.Join(inputNames(def.Inputs), ", ")
			if ins == "" {
				ins = "none (the input must be empty)"
			}
			t.row("Inputs", ins)
		}
		t.row("Recorded", fmtTime(def.RecordedAt)+" by "+cell(def.RecordedBy))
		for _, s := range def.Schedules {
			t.row("Schedule", s.Name+" "+strconv.Quote(s.Cron))
		}
		for _, tr := range def.Triggers {
			t.row("Trigger", tr.Name+" every "+tr.Poll.String())
		}
		_ = t.flush()
		b.WriteString("\n")
		t = newTable(&b, "LEVEL", "TASK", "DEPENDS ON", "TRIGGER", "ATTEMPTS", "TIMEOUT")
		for lvl, ids := range g.Levels() {
			for _, i := range ids {
				td := def.Tasks[i]
				timeout := "-"
				if td.Timeout > 0 {
					timeout = td.Timeout.String()
				}
				attempts := "-"
				if td.Retry.MaxAttempts > 0 {
					attempts = fmt.Sprint(td.Retry.MaxAttempts)
				}
				t.row(fmt.Sprint(lvl), td.ID, strings.Join(td.Dependencies, ", "), td.Trigger, attempts, timeout)
			}
		}
		_ = t.flush()
	}
	_, err = io.WriteString(w, b.String())
	return err
}
