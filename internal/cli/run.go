package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cloacina-go/cloacina/internal/suggest"
	"github.com/cloacina-go/cloacina/runtime"
)

func runFlags(fs *flag.FlagSet) {
	fs.String("input", "", "the input context: a `JSON` object, @file to read it from a file, @- from stdin")
	fs.Var(new(list), "header", "a `key=value` header to submit the execution with (repeatable)")
	fs.String("idempotency-key", "", "start at most one execution for this `key`")
	waitFlags(fs)
}

// readInput reads --input: inline JSON, @file or @-.
func readInput(c *call) (*runtime.Context, error) {
	arg := c.str("input")
	if arg == "" {
		return runtime.NewContext(), nil
	}
	data, where := []byte(arg), "--input"
	if name, ok := strings.CutPrefix(arg, "@"); ok {
		var err error
		if name == "-" {
			data, err = io.ReadAll(c.env.Stdin)
			where = "--input @- (stdin)"
		} else {
			data, err = os.ReadFile(name)
			where = "--input file " + name
		}
		if err != nil {
			return nil, usagef("%s: %v", where, err)
		}
	}
	var probe any
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, usagef("%s is not valid JSON: %v (give a JSON object such as '{\"day\": \"2026-01-31\"}')", where, err)
	}
	if _, ok := probe.(map[string]any); !ok {
		return nil, usagef("%s must be a JSON object (keys to values), not %s", where, jsonKind(probe))
	}
	in := runtime.NewContext()
	if err := json.Unmarshal(data, in); err != nil {
		return nil, usagef("%s: %v", where, err)
	}
	return in, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case string:
		return "a string"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func runWorkflow(ctx context.Context, c *call) error {
	name, err := c.oneID("workflow name")
	if err != nil {
		return err
	}
	in, err := readInput(c)
	if err != nil {
		return err
	}
	var opts []runtime.ExecuteOption
	if h := *c.fs.Lookup("header").Value.(*list); len(h) > 0 {
		headers := map[string]string{}
		for _, kv := range h {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return usagef("--header %q: want key=value", kv)
			}
			headers[k] = v
		}
		opts = append(opts, runtime.WithHeaders(headers))
	}
	if k := c.str("idempotency-key"); k != "" {
		opts = append(opts, runtime.WithIdempotencyKey(k))
	}
	return c.withRunner(ctx, func(r *runtime.Runner) error {
		ex, err := r.ExecuteAsync(ctx, name, in, opts...)
		if errors.Is(err, runtime.ErrWorkflowNotFound) {
			return unknownWorkflow(ctx, r, name)
		}
		var bad *runtime.InputError
		if errors.As(err, &bad) {
			return fmt.Errorf("--input: %w\n  hint: 'cloacina workflows show %s' lists the inputs it declares", bad, name)
		}
		if err != nil {
			return fmt.Errorf("start %s: %w", name, err)
		}
		if !c.flagBool("wait") {
			return printStarted(c, ex)
		}
		if !c.g.json && !c.env.Terminal {
			fmt.Fprintf(c.env.Stdout, "started execution %s of %s\n", ex.ID(), name)
		}
		if _, err := c.registry().Lookup(name); err != nil {
			// Started from the recorded definition: the tasks wait for a
			// runner with the code, which a new user may not have running.
			fmt.Fprintf(c.env.Stderr, "waiting for a runner that registers %s to execute it: this command runs no tasks (interrupt to stop waiting; the execution goes on)\n", name)
		}
		return follow(ctx, c, r, ex)
	})
}

// unknownWorkflow is the error for a workflow name no runner recorded,
// with the closest known names.
func unknownWorkflow(ctx context.Context, r *runtime.Runner, name string) error {
	msg := fmt.Sprintf("no workflow %q is known to this database", name)
	if defs, err := r.ListWorkflows(ctx); err == nil {
		var names []string
		for _, d := range defs {
			names = append(names, d.Name)
		}
		msg += suggest.DidYouMean(name, names)
		if len(names) > 0 {
			msg += " (known: " + strings.Join(names, ", ") + ")"
		}
	}
	return errors.New(msg + "\n  hint: a runner records its workflows when it starts; 'cloacina workflows list' shows them")
}
