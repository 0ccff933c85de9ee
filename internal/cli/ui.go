package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
)

// UIOptions is what `cloacina ui` passes to the web UI.
type UIOptions struct {
	// Runner is the command's runner (empty registry: it claims no task).
	Runner *runtime.Runner
	// Registry is the command's registry (Env.Registry, or an empty one):
	// the workflows this process serves.
	Registry *runtime.Registry
	// Prefix is the path the UI is mounted under ("" for the root). The
	// handler receives requests with the prefix still on their path, and
	// strips it itself (so its links can carry it).
	Prefix string
	// ReadOnly refuses every action.
	ReadOnly bool
}

// UIFunc builds the web UI's handler from the command's runner and flags:
// a program wires the ui package's Handler here. A nil UIFunc makes
// `cloacina ui` explain that this build has no web UI.
type UIFunc func(opts UIOptions) (http.Handler, error)

func uiFlags(fs *flag.FlagSet) {
	fs.String("addr", "127.0.0.1:8080", "`address` to listen on (host:port)")
	fs.String("prefix", "", "serve the UI under this path `prefix` (e.g. /cloacina)")
	fs.Bool("read-only", false, "refuse every action: cancel, pause, resume, retry, start")
}

// shutdownGrace is how long `ui` lets requests in flight (live event
// streams included) finish when interrupted.
const shutdownGrace = 5 * time.Second

func serveUI(ctx context.Context, c *call) error {
	if len(c.args) > 0 {
		return usagef("unexpected argument %q", c.args[0])
	}
	if c.env.UI == nil {
		return errors.New("this build of cloacina has no web UI")
	}
	prefix := strings.TrimRight(c.str("prefix"), "/")
	if prefix != "" && !strings.HasPrefix(prefix, "/") {
		return usagef("--prefix must start with /, got %q", prefix)
	}
	ln, err := net.Listen("tcp", c.str("addr"))
	if err != nil {
		return fmt.Errorf("listen on %s: %w (pass --addr host:port)", c.str("addr"), err)
	}
	defer ln.Close()
	return c.withRunner(ctx, func(r *runtime.Runner) error {
		h, err := c.env.UI(UIOptions{Runner: r, Registry: c.registry(), Prefix: prefix, ReadOnly: c.flagBool("read-only")})
		if err != nil {
			return fmt.Errorf("web UI: %w", err)
		}
		mux := http.NewServeMux()
		if prefix == "" {
			mux.Handle("/", h)
		} else {
			mux.Handle(prefix+"/", h)
			mux.Handle("/{$}", http.RedirectHandler(prefix+"/", http.StatusFound))
		}
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
			BaseContext: func(net.Listener) context.Context { return ctx }}
		mode := ""
		if c.flagBool("read-only") {
			mode = " (read-only)"
		}
		fmt.Fprintf(c.env.Stdout, "serving the web UI%s on http://%s%s/\n", mode, ln.Addr(), prefix)
		served := make(chan error, 1)
		go func() { served <- srv.Serve(ln) }()
		select {
		case err := <-served:
			return fmt.Errorf("serve: %w", err)
		case <-ctx.Done():
		}
		sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			srv.Close()
		}
		<-served
		return nil
	})
}
