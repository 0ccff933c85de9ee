// Package ui is Cloacina's web UI: an http.Handler that shows a runner's
// executions, workflows and schedules and acts on them.
//
// Mount it under a path of your own server, behind your own
// authentication; the UI has none of its own:
//
//	runner, err := runtime.NewRunner(ctx, cfg)
//	...
//	mux := http.NewServeMux()
//	mux.Handle("/ops/", requireAdmin(ui.Handler(ui.Options{
//		Runner:   runner,
//		Registry: cfg.Registry, // nil: runtime.DefaultRegistry()
//		Prefix:   "/ops",
//	})))
//	http.ListenAndServe(":8080", mux)
//
// The `cloacina ui` command serves the same handler.
//
// # Pages
//
//   - /executions: every execution, newest first, filtered by workflow and
//     status and paged, with status, workflow, version, start, duration and
//     origin.
//   - /executions/{id}: the workflow's graph with each task's state (by
//     colour and label; attempts, duration, error and skip reason in its
//     tooltip and in the task table), a timeline of every attempt, its
//     origin (direct, a schedule, a trigger, or the execution it retried)
//     and the executions that retried it, the final context and each
//     task's input and output (escaped, collapsed, cut at 64 KiB), and the
//     event log. While the execution runs, the page follows
//     its events over server-sent events (GET /executions/{id}/events, fed
//     by a subscription to the event log, never by polling) and updates the
//     graph, the task states, the status and the log as they happen. The
//     start of an id that names one execution redirects to its page
//     (Runner.ExecutionByPrefix), as the command line accepts it.
//   - /workflows and /workflows/{name}: the workflows this process
//     registers and those runners have recorded, with the graph, versions,
//     schedules, recent executions and a form to start one with JSON input.
//   - /schedules and /schedules/{name}: schedules with their next and recent
//     fires, and triggers.
//
// The graph is laid out in Go (see internal/layout: longest-path layers,
// barycentre ordering to avoid crossings) and drawn as inline SVG, so a
// workflow of hundreds of tasks renders quickly. Pages are html/template
// with a small plain script; nothing needs a JavaScript toolchain.
//
// # Actions
//
// Cancel, pause, resume and retry an execution (failed tasks in place, or
// all as a new execution), start a workflow, and pause, resume or trigger a
// schedule. Each is a POST; one that cannot apply (retrying a running
// execution, pausing a finished one) is refused with a message saying why.
// With Options.ReadOnly the forms are hidden and every POST is refused
// with 403.
//
// # Safety
//
// Every POST must carry a CSRF token: a signed double-submit cookie. The
// page sets a cookie holding a random nonce and its HMAC-SHA256 under a key
// (Options.CSRFKey, or a random per-process key), and every form carries
// the same value; a POST is accepted only when the two match and the
// signature verifies. Cross-origin POSTs are refused before that
// (http.CrossOriginProtection). Messages shown after an action travel in a
// signed cookie, so a link cannot make the UI display text of its choosing.
// Every value is rendered through html/template, and the script sets text
// with textContent only, so a task error such as "<script>…" shows as text.
// Responses carry a Content-Security-Policy that allows scripts only from
// the UI's own files, and forbid framing.
package ui
