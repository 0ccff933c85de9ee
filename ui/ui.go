package ui

import (
	"cmp"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"

	"github.com/cloacina-go/cloacina/runtime"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configures Handler.
type Options struct {
	// Runner is the runner whose store the UI shows and acts on. Required.
	Runner *runtime.Runner

	// Registry is the runner's registry (its Config.Registry), for the
	// graphs and the start form of the workflows it serves. Nil means
	// runtime.DefaultRegistry().
	Registry *runtime.Registry

	// Prefix is the path the handler is mounted under, such as "/ops"
	// (no trailing slash; "" for the root). The handler strips it from
	// requests and puts it in front of every link it renders.
	Prefix string

	// ReadOnly hides every action and refuses every POST with 403.
	ReadOnly bool

	// CSRFKey signs the CSRF tokens and flash messages. Nil means a random
	// key made when Handler is called, which is right for one process; UIs
	// served by several processes behind one address must share a key (at
	// least 32 bytes).
	CSRFKey []byte

	// Logger receives the errors the UI reports as 500 pages (default
	// slog.Default()).
	Logger *slog.Logger
}

// ui serves the pages; one per Handler call.
type ui struct {
	opts  Options
	reg   *runtime.Registry
	base  string
	log   *slog.Logger
	tmpl  map[string]*template.Template
	csrf  *signer
	xorig *http.CrossOriginProtection
}

// Handler returns the web UI's handler. It panics if opts.Runner is nil or
// opts.Prefix is malformed, as a programming error.
func Handler(opts Options) http.Handler {
	if opts.Runner == nil {
		panic("ui.Handler: Options.Runner is nil")
	}
	prefix := strings.TrimRight(opts.Prefix, "/")
	if prefix != "" && !strings.HasPrefix(prefix, "/") {
		panic("ui.Handler: Options.Prefix must start with /: " + opts.Prefix)
	}
	u := &ui{
		opts:  opts,
		reg:   cmp.Or(opts.Registry, runtime.DefaultRegistry()),
		base:  prefix,
		log:   cmp.Or(opts.Logger, slog.Default()),
		tmpl:  parseTemplates(),
		csrf:  newSigner(opts.CSRFKey),
		xorig: http.NewCrossOriginProtection(),
	}
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, u.base+"/executions", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /executions", u.executions)
	mux.HandleFunc("GET /executions/{id}", u.execution)
	mux.HandleFunc("GET /executions/{id}/events", u.eventStream)
	mux.HandleFunc("POST /executions/{id}/{action}", u.action(u.executionAction))
	mux.HandleFunc("GET /workflows", u.workflows)
	mux.HandleFunc("GET /workflows/{name}", u.workflow)
	mux.HandleFunc("POST /workflows/{name}/start", u.action(u.start))
	mux.HandleFunc("GET /schedules", u.schedules)
	mux.HandleFunc("GET /schedules/{name}", u.schedule)
	mux.HandleFunc("POST /schedules/{name}/{action}", u.action(u.scheduleAction))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		u.fail(w, r, http.StatusNotFound, "no page at "+r.URL.Path)
	})
	var h http.Handler = u.secure(mux)
	if prefix != "" {
		h = http.StripPrefix(prefix, h)
	}
	return h
}

// secure sets the headers every response carries: scripts only from the
// UI's own static files, no framing, no sniffing.
func (u *ui) secure(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}
