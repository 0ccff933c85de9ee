package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
)

// liveEvent is one event as the page's script receives it.
type liveEvent struct {
	Kind    string `json:"kind"`
	Task    string `json:"task,omitempty"`
	Attempt int    `json:"attempt,omitempty"`
	Message string `json:"message,omitempty"`
	At      string `json:"at"`
	Runner  string `json:"runner,omitempty"`
	// State and Label are the task's state after the event; Status the
	// execution's, for events that change them.
	State  string `json:"state,omitempty"`
	Label  string `json:"label,omitempty"`
	Status string `json:"status,omitempty"`
}

// keepAlive is how long the stream may stay silent before a comment line
// is sent, so proxies keep the connection open.
const keepAlive = 25 * time.Second

// eventStream serves an execution's events as server-sent events, from the
// cursor in ?from= (or the Last-Event-ID a reconnecting browser sends)
// until the execution's last event, then an "end" event. The stream is fed
// by a subscription, woken by the store's writes: nothing polls.
func (u *ui) eventStream(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	from := r.URL.Query().Get("from")
	if h := r.Header.Get("Last-Event-ID"); h != "" {
		from = h
	}
	cur, err := runtime.ParseCursor(from)
	if err != nil {
		http.Error(w, fmt.Sprintf("cursor %q: %v", from, err), http.StatusBadRequest)
		return
	}
	ex, err := u.opts.Runner.Execution(ctx, id)
	if errors.Is(err, runtime.ErrExecutionNotFound) {
		http.Error(w, fmt.Sprintf("no execution with id %q", id), http.StatusNotFound)
		return
	}
	if err != nil {
		http.Error(w, "reading execution: "+err.Error(), http.StatusInternalServerError)
		return
	}
	st, err := ex.Status(ctx)
	if err != nil {
		http.Error(w, "reading execution: "+err.Error(), http.StatusInternalServerError)
		return
	}
	var next func(context.Context) (runtime.Event, error)
	if st.Terminal() {
		// Its log is complete: send what follows the cursor, then the end
		// (a subscription from after the last event would wait forever).
		events, err := u.opts.Runner.Events(ctx, ex.ID())
		if err != nil {
			http.Error(w, "reading events: "+err.Error(), http.StatusInternalServerError)
			return
		}
		if !cur.IsZero() {
			rest := []runtime.Event(nil)
			for i, ev := range events {
				if ev.Cursor.String() == cur.String() {
					rest = events[i+1:]
				}
			}
			events = rest
		}
		next = func(context.Context) (runtime.Event, error) {
			if len(events) == 0 {
				return runtime.Event{}, io.EOF
			}
			ev := events[0]
			events = events[1:]
			return ev, nil
		}
	} else {
		sub, err := u.opts.Runner.Subscribe(ctx, runtime.EventFilter{ExecutionID: ex.ID(), From: cur, UntilEnd: true})
		if errors.Is(err, runtime.ErrUnknownCursor) {
			http.Error(w, fmt.Sprintf("cursor %q: no event of this database has reached it", from), http.StatusBadRequest)
			return
		}
		if err != nil {
			http.Error(w, "subscribing: "+err.Error(), http.StatusInternalServerError)
			return
		}
		defer sub.Close()
		next = sub.Next
	}

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := io.WriteString(w, ": stream of execution "+ex.ID()+"\n\n"); err != nil {
		return
	}
	_ = rc.Flush()
	for {
		nctx, cancel := context.WithTimeout(ctx, keepAlive)
		ev, err := next(nctx)
		cancel()
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			_, _ = io.WriteString(w, "event: end\ndata: {}\n\n")
			_ = rc.Flush()
			return
		case ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded):
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil {
				return
			}
			_ = rc.Flush()
			continue
		default: // the client left, or the runner is shutting down
			return
		}
		le := liveEvent{Kind: ev.Kind, Task: ev.TaskID, Attempt: ev.Attempt, Message: ev.Message,
			At: ev.At.Local().Format("2006-01-02 15:04:05.000"), Runner: ev.RunnerID, Status: eventExecStatus(ev.Kind)}
		le.State, le.Label = eventTaskState(ev.Kind)
		b, _ := json.Marshal(le)
		if _, err := fmt.Fprintf(w, "id: %s\ndata: %s\n\n", ev.Cursor, b); err != nil {
			return
		}
		_ = rc.Flush()
	}
}
