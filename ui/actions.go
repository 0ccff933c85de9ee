package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/cloacina-go/cloacina/runtime"
)

// maxForm bounds an action's form, the JSON input of a start included.
const maxForm = 1 << 20

// actionFunc performs one POST and returns where to go next with the
// message to show there; status, when not 0, answers with an error page
// instead (for requests that name nothing that exists).
type actionFunc func(r *http.Request) (to string, f flash, status int)

// action wraps a POST handler with the checks every action passes:
// read-only mode, then the CSRF token.
func (u *ui) action(f actionFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if u.opts.ReadOnly {
			u.fail(w, r, http.StatusForbidden, "this UI is read-only: actions are disabled")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil {
			u.fail(w, r, http.StatusBadRequest, "reading the form: "+err.Error())
			return
		}
		if why := u.checkCSRF(r); why != "" {
			u.fail(w, r, http.StatusForbidden, why)
			return
		}
		to, fl, status := f(r)
		if status != 0 {
			u.fail(w, r, status, fl.Text)
			return
		}
		u.setFlash(w, fl)
		http.Redirect(w, r, u.base+to, http.StatusSeeOther)
	}
}

func ok(format string, args ...any) flash {
	return flash{Kind: "ok", Text: fmt.Sprintf(format, args...)}
}

func refused(format string, args ...any) flash {
	return flash{Kind: "error", Text: fmt.Sprintf(format, args...)}
}

func (u *ui) executionAction(r *http.Request) (string, flash, int) {
	ctx := r.Context()
	id, act := r.PathValue("id"), r.PathValue("action")
	to := "/executions/" + url.PathEscape(id)
	ex, err := u.opts.Runner.Execution(ctx, id)
	if errors.Is(err, runtime.ErrExecutionNotFound) {
		return "", refused("no execution with id %q", id), http.StatusNotFound
	}
	if err != nil {
		return "", refused("reading execution %s: %v", id, err), http.StatusInternalServerError
	}
	st, err := ex.Status(ctx)
	if err != nil {
		return "", refused("reading execution %s: %v", id, err), http.StatusInternalServerError
	}
	run := u.opts.Runner
	switch act {
	case "cancel":
		if st.Terminal() {
			return to, refused("Cannot cancel: the execution is %s; only a pending, running or paused execution can be cancelled.", st), 0
		}
		done, err := run.Cancel(ctx, id)
		if err != nil {
			return to, refused("Cancel failed: %v", err), 0
		}
		if !done {
			return to, refused("Cannot cancel: the execution ended before the request."), 0
		}
		return to, ok("Execution cancelled."), 0
	case "pause":
		if st != runtime.PipelineStatusPending && st != runtime.PipelineStatusRunning {
			return to, refused("Cannot pause: the execution is %s; only a pending or running execution can be paused.", st), 0
		}
		done, err := run.Pause(ctx, id)
		if err != nil {
			return to, refused("Pause failed: %v", err), 0
		}
		if !done {
			return to, refused("Cannot pause: the execution changed state before the request."), 0
		}
		return to, ok("Execution paused: running tasks finish, no new task starts until it is resumed."), 0
	case "resume":
		if st != runtime.PipelineStatusPaused {
			return to, refused("Cannot resume: the execution is %s; only a paused execution can be resumed.", st), 0
		}
		done, err := run.Resume(ctx, id)
		if err != nil {
			return to, refused("Resume failed: %v", err), 0
		}
		if !done {
			return to, refused("Cannot resume: the execution changed state before the request."), 0
		}
		return to, ok("Execution resumed."), 0
	case "retry":
		mode := runtime.RetryMode(r.PostFormValue("mode"))
		if mode != runtime.RetryModeFailed && mode != runtime.RetryModeAll {
			return "", refused("retry mode %q: want %q or %q", mode, runtime.RetryModeFailed, runtime.RetryModeAll), http.StatusBadRequest
		}
		if !st.Terminal() {
			return to, refused("Cannot retry: the execution is %s; only a finished execution can be retried (cancel it first, or wait for it to end).", st), 0
		}
		if mode == runtime.RetryModeFailed && st == runtime.PipelineStatusCompleted {
			return to, refused("Cannot retry failed tasks: the execution Completed, nothing failed. Use \"retry all\" to run it again."), 0
		}
		nx, err := run.Retry(ctx, id, mode)
		if errors.Is(err, runtime.ErrNotRetryable) {
			// The execution changed state since it was read above.
			return to, refused("Cannot retry: %v", err), 0
		}
		if err != nil {
			return to, refused("Retry failed: %v", err), 0
		}
		if mode == runtime.RetryModeAll {
			return "/executions/" + url.PathEscape(nx.ID()), ok("Started a new execution with the input of %s.", id), 0
		}
		return to, ok("Retrying the failed tasks."), 0
	}
	return "", refused("unknown action %q: want cancel, pause, resume or retry", act), http.StatusNotFound
}

func (u *ui) start(r *http.Request) (string, flash, int) {
	name := r.PathValue("name")
	to := "/workflows/" + url.PathEscape(name)
	var input *runtime.Context
	if raw := strings.TrimSpace(r.PostFormValue("input")); raw != "" {
		input = runtime.NewContext()
		if err := input.UnmarshalJSON([]byte(raw)); err != nil {
			var v any
			if jerr := json.Unmarshal([]byte(raw), &v); jerr != nil {
				return to, refused("Input is not valid JSON: %v", jerr), 0
			}
			return to, refused("Input is not a JSON object: %v", err), 0
		}
	}
	ex, err := u.opts.Runner.ExecuteAsync(r.Context(), name, input)
	if err != nil {
		return to, refused("Cannot start %s: %v", name, err), 0
	}
	return "/executions/" + url.PathEscape(ex.ID()), ok("Started %s.", name), 0
}

func (u *ui) scheduleAction(r *http.Request) (string, flash, int) {
	ctx := r.Context()
	name, act := r.PathValue("name"), r.PathValue("action")
	to := "/schedules/" + url.PathEscape(name)
	run := u.opts.Runner
	notFound := func(err error) (string, flash, int) {
		if errors.Is(err, runtime.ErrScheduleNotFound) {
			return "", refused("no schedule named %q", name), http.StatusNotFound
		}
		return to, refused("%s failed: %v", act, err), 0
	}
	switch act {
	case "pause":
		changed, err := run.PauseSchedule(ctx, name)
		if err != nil {
			return notFound(err)
		}
		if !changed {
			return to, refused("Schedule %s is already paused.", name), 0
		}
		return to, ok("Schedule paused: it fires nothing until resumed."), 0
	case "resume":
		changed, err := run.ResumeSchedule(ctx, name)
		if err != nil {
			return notFound(err)
		}
		if !changed {
			return to, refused("Schedule %s is not paused.", name), 0
		}
		return to, ok("Schedule resumed from its next tick."), 0
	case "trigger":
		ex, err := run.TriggerSchedule(ctx, name)
		if err != nil {
			return notFound(err)
		}
		return "/executions/" + url.PathEscape(ex.ID()), ok("Schedule %s triggered.", name), 0
	}
	return "", refused("unknown action %q: want pause, resume or trigger", act), http.StatusNotFound
}
