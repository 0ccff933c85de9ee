package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
	"github.com/cloacina-go/cloacina/runtime/store"
)

// page is what every template gets.
type page struct {
	Title    string
	Nav      string // the menu entry to highlight
	Base     string // the prefix, for links
	Token    string // the CSRF token for forms
	ReadOnly bool
	Flash    *flash
	Notices  []string // what could not be shown, and why
	Data     any
}

var funcs = template.FuncMap{
	"ts": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.Local().Format("2006-01-02 15:04:05.000")
	},
	"dur":   fmtDuration,
	"short": func(s string) string { return s[:min(len(s), 12)] },
	"pe":    url.PathEscape,
	"qe":    url.QueryEscape,
	"execClass": func(s runtime.PipelineStatus) string {
		return strings.ToLower(s.String())
	},
	"lower": strings.ToLower,
	// rows and sched pass several values to a shared template.
	"rows": func(base string, rows []execRow) any {
		return struct {
			Base string
			Rows []execRow
		}{base, rows}
	},
	"sched": func(base string, item runtime.ScheduleInfo, token string, readOnly bool) any {
		return struct {
			Base     string
			Item     runtime.ScheduleInfo
			Token    string
			ReadOnly bool
		}{base, item, token, readOnly}
	},
}

func parseTemplates() map[string]*template.Template {
	base := template.Must(template.New("base.html").Funcs(funcs).ParseFS(templateFS, "templates/base.html", "templates/graph.html"))
	out := map[string]*template.Template{}
	names, _ := fs.Glob(templateFS, "templates/*.html")
	for _, n := range names {
		name := strings.TrimPrefix(n, "templates/")
		if name == "base.html" || name == "graph.html" {
			continue
		}
		out[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, n))
	}
	return out
}

// render writes a page, buffered so a template error becomes a 500 page
// rather than half a page.
func (u *ui) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	p.Base, p.ReadOnly = u.base, u.opts.ReadOnly
	p.Token = u.token(w, r)
	if p.Flash == nil {
		p.Flash = u.takeFlash(w, r)
	}
	var buf bytes.Buffer
	if err := u.tmpl[name].ExecuteTemplate(&buf, "base.html", p); err != nil {
		u.log.Error("ui: render", "template", name, "err", err)
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// fail renders an error page.
func (u *ui) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if status >= 500 {
		u.log.Error("ui: "+msg, "path", r.URL.Path)
	}
	u.render(w, r, status, "error.html", &page{Title: http.StatusText(status), Data: msg})
}

// --- executions list ---

type execRow struct {
	runtime.ExecutionSummary
	Start    time.Time
	Duration string
	Origin   string
}

type execList struct {
	Workflow, Status string
	Statuses         []string
	Workflows        []string
	Rows             []execRow
	Next             template.URL // query of the next page, "" for none (url.Values.Encode: safe in an href)
	Paged            bool         // whether a cursor is in use (a "first page" link)
}

const pageSize = 50

var allStatuses = []runtime.PipelineStatus{
	runtime.PipelineStatusPending, runtime.PipelineStatusRunning, runtime.PipelineStatusPaused,
	runtime.PipelineStatusCompleted, runtime.PipelineStatusFailed, runtime.PipelineStatusCancelled,
}

func parseStatus(s string) (runtime.PipelineStatus, error) {
	var st runtime.PipelineStatus
	err := st.UnmarshalText([]byte(s))
	return st, err
}

func (u *ui) executions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v := &execList{Workflow: q.Get("workflow"), Status: q.Get("status"), Workflows: u.workflowNames(r.Context())}
	for _, s := range allStatuses {
		v.Statuses = append(v.Statuses, s.String())
	}
	p := &page{Title: "Executions", Nav: "executions", Data: v}
	opts := runtime.PageOptions{ListOptions: runtime.ListOptions{Workflow: v.Workflow, Limit: pageSize}, Cursor: q.Get("cursor")}
	if v.Status != "" {
		st, err := parseStatus(v.Status)
		if err != nil {
			u.fail(w, r, http.StatusBadRequest, fmt.Sprintf("status %q: %v", v.Status, err))
			return
		}
		opts.Status = []runtime.PipelineStatus{st}
	}
	v.Paged = opts.Cursor != ""
	pg, err := u.opts.Runner.ListExecutionsPage(r.Context(), &opts)
	if err != nil {
		status := http.StatusInternalServerError
		if opts.Cursor != "" {
			status = http.StatusBadRequest // a cursor not from a page of ours
		}
		u.fail(w, r, status, "listing executions: "+err.Error())
		return
	}
	list := pg.Executions
	if pg.Next != "" {
		nq := url.Values{"cursor": {pg.Next}}
		if v.Workflow != "" {
			nq.Set("workflow", v.Workflow)
		}
		if v.Status != "" {
			nq.Set("status", v.Status)
		}
		v.Next = template.URL(nq.Encode())
	}
	now := time.Now()
	for _, e := range list {
		v.Rows = append(v.Rows, summaryRow(e, now))
	}
	u.render(w, r, http.StatusOK, "executions.html", p)
}

func summaryRow(e runtime.ExecutionSummary, now time.Time) execRow {
	row := execRow{ExecutionSummary: e, Start: e.StartedAt, Origin: "direct"}
	if row.Start.IsZero() {
		row.Start = e.CreatedAt
	}
	switch {
	case !e.CompletedAt.IsZero() && !e.StartedAt.IsZero():
		row.Duration = fmtDuration(e.CompletedAt.Sub(e.StartedAt))
	case !e.StartedAt.IsZero():
		row.Duration = fmtDuration(now.Sub(e.StartedAt)) + " so far"
	default:
		row.Duration = "—"
	}
	if e.Origin != "" {
		row.Origin = e.Origin
		if e.OriginName != "" {
			row.Origin += ": " + e.OriginName
		}
	}
	return row
}

// --- execution detail ---

type taskRow struct {
	runtime.TaskResult
	State, Error, Duration string
	// In and Out are the task's input and output contexts as shown.
	In, Out dataView
}

// dataView is a context shown on the page: its JSON, cut at maxData
// bytes, and a one-line summary for a <details> element.
type dataView struct {
	Present   bool
	Summary   string
	JSON      string
	Truncated int // the full size in bytes when JSON was cut, else 0
}

// maxData is how much of one context's JSON a page shows; summaryLen how
// much of it the collapsed line shows.
const (
	maxData    = 64 << 10
	summaryLen = 80
)

func showContext(c *runtime.Context) dataView {
	if c == nil {
		return dataView{}
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return dataView{Present: true, Summary: "(cannot be read: " + err.Error() + ")"}
	}
	v := dataView{Present: true, JSON: string(b)}
	if len(b) > maxData {
		v.JSON, v.Truncated = strings.ToValidUTF8(string(b[:maxData]), ""), len(b)
	}
	one, _ := json.Marshal(c) // cannot fail: MarshalIndent did not
	v.Summary = string(one)
	if n := len(one); n > summaryLen {
		v.Summary = strings.ToValidUTF8(v.Summary[:summaryLen], "") + fmt.Sprintf("… (%d keys, %d bytes)", c.Len(), n)
	}
	return v
}

type eventRow struct {
	runtime.Event
	State string // the CSS class the event gives its task, if any
}

type execDetail struct {
	Res      *runtime.PipelineResult
	Status   string
	Error    string
	Graph    *graphView
	Tasks    []taskRow
	Gantt    *ganttView
	Events   []eventRow
	Cursor   string // after the last event shown: where the live stream starts
	Live     bool
	Context  dataView
	Duration string
	Origin   string    // what started it, "" if unknown
	RetryOf  string    // the execution it retried in full, if any
	Retries  []execRow // the executions that retried it in full

	CanCancel, CanPause, CanResume, CanRetryFailed, CanRetryAll bool
}

func (u *ui) execution(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	ex, err := u.opts.Runner.ExecutionByPrefix(ctx, id)
	var amb *runtime.AmbiguousIDError
	switch {
	case errors.Is(err, runtime.ErrExecutionNotFound):
		u.fail(w, r, http.StatusNotFound, fmt.Sprintf("no execution with id %q", id))
		return
	case errors.As(err, &amb):
		u.fail(w, r, http.StatusNotFound, amb.Error())
		return
	case err != nil:
		u.fail(w, r, http.StatusInternalServerError, "reading execution: "+err.Error())
		return
	case ex.ID() != id:
		// The start of an id, as the command line takes it: the page has
		// one address, the whole id's.
		http.Redirect(w, r, u.base+"/executions/"+url.PathEscape(ex.ID()), http.StatusSeeOther)
		return
	}
	res, err := ex.Result(ctx)
	if err != nil {
		u.fail(w, r, http.StatusInternalServerError, "reading execution: "+err.Error())
		return
	}
	events, err := u.opts.Runner.Events(ctx, id)
	if err != nil {
		u.fail(w, r, http.StatusInternalServerError, "reading events: "+err.Error())
		return
	}
	p := &page{Title: "Execution " + id, Nav: "executions"}
	d := &execDetail{Res: res, Status: res.Status.String(), Live: !res.Status.Terminal()}
	if res.Err != nil {
		d.Error = res.Err.Error()
	}
	switch {
	case !res.CompletedAt.IsZero():
		d.Duration = fmtDuration(res.Duration)
	case !res.StartedAt.IsZero():
		d.Duration = fmtDuration(time.Since(res.StartedAt)) + " so far"
	}
	st := res.Status
	d.CanCancel = !st.Terminal()
	d.CanPause = st == runtime.PipelineStatusPending || st == runtime.PipelineStatusRunning
	d.CanResume = st == runtime.PipelineStatusPaused
	d.CanRetryFailed = st == runtime.PipelineStatusFailed || st == runtime.PipelineStatusCancelled
	d.CanRetryAll = st.Terminal()

	deps, note := u.dependencies(r, res.WorkflowName, res.WorkflowVersion)
	gt := make([]graphTask, len(res.Tasks))
	order := make([]string, len(res.Tasks))
	for i := range res.Tasks {
		t := &res.Tasks[i]
		gt[i] = graphTask{ID: t.TaskID, Deps: deps[t.TaskID], Result: t}
		order[i] = t.TaskID
		row := taskRow{TaskResult: *t, State: taskClass(t.Status), Error: taskError(t), Duration: "—",
			In: showContext(t.Input), Out: showContext(t.Output)}
		if t.Duration > 0 {
			row.Duration = fmtDuration(t.Duration)
		}
		d.Tasks = append(d.Tasks, row)
	}
	d.Graph = buildGraph(gt)
	d.Graph.Note = note
	// An attempt with no recorded end is still running, up to now; in a
	// finished execution it ended with the execution.
	until := time.Now()
	if !res.CompletedAt.IsZero() {
		until = res.CompletedAt
	}
	d.Gantt = buildGantt(events, order, until)
	for _, ev := range events {
		cls, _ := eventTaskState(ev.Kind)
		d.Events = append(d.Events, eventRow{Event: ev, State: cls})
	}
	if n := len(events); n > 0 {
		d.Cursor = events[n-1].Cursor.String()
	}
	d.Context = showContext(res.Context)
	d.Origin, d.RetryOf, d.Retries = u.lineage(r, res, events)
	p.Data = d
	u.render(w, r, http.StatusOK, "execution.html", p)
}

// lineage returns what started an execution ("direct", "schedule: nightly",
// "retry: <id>"; "" when it cannot be found), the execution it retried if
// any, and the executions that retried it. The origin is read from the listing, narrowed to the
// workflow and to a second around the execution_created event.
func (u *ui) lineage(r *http.Request, res *runtime.PipelineResult, events []runtime.Event) (origin, retryOf string, retries []execRow) {
	ctx, run, now := r.Context(), u.opts.Runner, time.Now()
	if len(events) > 0 && events[0].Kind == store.EventExecutionCreated {
		at := events[0].At
		pg, err := run.ListExecutionsPage(ctx, &runtime.PageOptions{ListOptions: runtime.ListOptions{Workflow: res.WorkflowName, Limit: 100},
			CreatedAfter: at.Add(-time.Second), CreatedBefore: at.Add(time.Second)})
		if err == nil {
			for _, e := range pg.Executions {
				if e.ID == res.ExecutionID {
					origin = summaryRow(e, now).Origin
					if e.Origin == runtime.OriginRetry {
						retryOf = e.OriginName
					}
				}
			}
		}
	}
	pg, err := run.ListExecutionsPage(ctx, &runtime.PageOptions{ListOptions: runtime.ListOptions{Limit: 20},
		Origin: runtime.OriginRetry, OriginName: res.ExecutionID})
	if err == nil {
		for _, e := range pg.Executions {
			retries = append(retries, summaryRow(e, now))
		}
	}
	return origin, retryOf, retries
}

// dependencies returns each task's dependencies in the given version of a
// workflow: from the registry when it holds that version, else from the
// recorded definitions; note says when neither has it.
func (u *ui) dependencies(r *http.Request, name, version string) (map[string][]string, string) {
	w, regErr := u.reg.Lookup(name)
	if regErr == nil && w.Version() == version {
		return workflowDeps(w), ""
	}
	defs, err := u.opts.Runner.DescribeWorkflow(r.Context(), name)
	if err == nil {
		for _, def := range defs {
			if def.Version == version {
				deps := map[string][]string{}
				for _, t := range def.Tasks {
					deps[t.ID] = t.Dependencies
				}
				return deps, ""
			}
		}
	}
	if regErr == nil {
		return workflowDeps(w), fmt.Sprintf("Edges drawn from the registered version %s; this execution ran version %s.", short(w.Version()), short(version))
	}
	why := "not registered in this process"
	if err != nil {
		why += "; recorded definitions unavailable: " + err.Error()
	}
	return nil, fmt.Sprintf("Dependencies unknown (workflow %s %s): tasks drawn without edges.", name, why)
}

func short(s string) string { return s[:min(len(s), 12)] }

func workflowDeps(w *runtime.Workflow) map[string][]string {
	deps := map[string][]string{}
	for _, t := range w.Tasks() {
		deps[t.ID] = t.Dependencies
	}
	return deps
}

// --- workflows ---

type workflowRow struct {
	Name, Version, Description string
	Tasks                      int
	Registered                 bool
	RecordedAt                 time.Time
}

func (u *ui) workflows(w http.ResponseWriter, r *http.Request) {
	p := &page{Title: "Workflows", Nav: "workflows"}
	rows := map[string]*workflowRow{}
	for _, wf := range u.reg.Workflows() {
		rows[wf.Name()] = &workflowRow{Name: wf.Name(), Version: wf.Version(), Description: wf.Description(), Tasks: wf.Len(), Registered: true}
	}
	defs, err := u.opts.Runner.ListWorkflows(r.Context())
	if err != nil {
		p.Notices = append(p.Notices, fmt.Sprintf("Recorded workflow definitions are unavailable (%v): showing the workflows this process registers.", err))
	}
	for _, d := range defs {
		row := rows[d.Name]
		if row == nil {
			row = &workflowRow{Name: d.Name, Version: d.Version, Description: d.Description, Tasks: len(d.Tasks)}
			rows[d.Name] = row
		}
		row.RecordedAt = d.RecordedAt
	}
	var list []workflowRow
	for _, row := range rows {
		list = append(list, *row)
	}
	slices.SortFunc(list, func(a, b workflowRow) int { return strings.Compare(a.Name, b.Name) })
	p.Data = list
	u.render(w, r, http.StatusOK, "workflows.html", p)
}

type workflowDetail struct {
	Name, Version, Description string
	Registered                 bool
	Graph                      *graphView
	Versions                   []runtime.WorkflowDefinition
	Recent                     []execRow
	Schedules                  []runtime.ScheduleInfo
}

func (u *ui) workflow(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	name := r.PathValue("name")
	p := &page{Title: "Workflow " + name, Nav: "workflows"}
	d := &workflowDetail{Name: name}
	defs, defErr := u.opts.Runner.DescribeWorkflow(ctx, name)
	d.Versions = defs
	var tasks []graphTask
	if wf, err := u.reg.Lookup(name); err == nil {
		d.Registered, d.Version, d.Description = true, wf.Version(), wf.Description()
		for _, t := range wf.Tasks() {
			tasks = append(tasks, graphTask{ID: t.ID, Deps: t.Dependencies})
		}
	} else if len(defs) > 0 {
		d.Version, d.Description = defs[0].Version, defs[0].Description
		for _, t := range defs[0].Tasks {
			tasks = append(tasks, graphTask{ID: t.ID, Deps: t.Dependencies})
		}
	} else {
		if defErr != nil && !errors.Is(defErr, runtime.ErrWorkflowNotFound) {
			u.fail(w, r, http.StatusInternalServerError, fmt.Sprintf("workflow %q is not registered in this process, and its recorded definitions cannot be read: %v", name, defErr))
			return
		}
		u.fail(w, r, http.StatusNotFound, fmt.Sprintf("no workflow named %q is registered in this process or recorded by any runner", name))
		return
	}
	if defErr != nil && !errors.Is(defErr, runtime.ErrWorkflowNotFound) {
		p.Notices = append(p.Notices, fmt.Sprintf("Recorded versions are unavailable (%v): showing the registered version only.", defErr))
	}
	d.Graph = buildGraph(tasks)
	recent, err := u.opts.Runner.ListExecutions(ctx, &runtime.ListOptions{Workflow: name, Limit: 20})
	if err != nil {
		p.Notices = append(p.Notices, "Recent executions are unavailable: "+err.Error())
	}
	now := time.Now()
	for _, e := range recent {
		d.Recent = append(d.Recent, summaryRow(e, now))
	}
	scheds, err := u.opts.Runner.ListSchedules(ctx)
	if err != nil {
		p.Notices = append(p.Notices, "Schedules are unavailable: "+err.Error())
	}
	for _, s := range scheds {
		if s.Workflow == name {
			d.Schedules = append(d.Schedules, s)
		}
	}
	p.Data = d
	u.render(w, r, http.StatusOK, "workflow.html", p)
}

// --- schedules ---

type scheduleList struct {
	Schedules []runtime.ScheduleInfo
	Triggers  []runtime.TriggerInfo
}

func (u *ui) schedules(w http.ResponseWriter, r *http.Request) {
	p := &page{Title: "Schedules", Nav: "schedules"}
	v := &scheduleList{}
	var err error
	if v.Schedules, err = u.opts.Runner.ListSchedules(r.Context()); err != nil {
		u.fail(w, r, http.StatusInternalServerError, "listing schedules: "+err.Error())
		return
	}
	if v.Triggers, err = u.opts.Runner.ListTriggers(r.Context()); err != nil {
		p.Notices = append(p.Notices, "Triggers are unavailable: "+err.Error())
	}
	p.Data = v
	u.render(w, r, http.StatusOK, "schedules.html", p)
}

func (u *ui) schedule(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	d, err := u.opts.Runner.DescribeSchedule(r.Context(), name, 10)
	if errors.Is(err, runtime.ErrScheduleNotFound) {
		u.fail(w, r, http.StatusNotFound, fmt.Sprintf("no schedule named %q", name))
		return
	}
	if err != nil {
		u.fail(w, r, http.StatusInternalServerError, "reading schedule: "+err.Error())
		return
	}
	u.render(w, r, http.StatusOK, "schedule.html", &page{Title: "Schedule " + name, Nav: "schedules", Data: d})
}

// workflowNames lists the workflows to filter by: those registered here
// and those any runner recorded, so a UI serving no workflow of its own
// (cloacina ui) still offers them.
func (u *ui) workflowNames(ctx context.Context) []string {
	seen := map[string]bool{}
	var names []string
	for _, n := range u.reg.Names() {
		seen[n] = true
		names = append(names, n)
	}
	if defs, err := u.opts.Runner.ListWorkflows(ctx); err == nil {
		for _, d := range defs {
			if !seen[d.Name] {
				seen[d.Name] = true
				names = append(names, d.Name)
			}
		}
	}
	sort.Strings(names)
	return names
}
