package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"
	"strings"

	"github.com/cloacina-go/cloacina/internal/suggest"
	"github.com/cloacina-go/cloacina/runtime"
)

// Exit codes returned by Run.
const (
	// ExitOK: the command did what was asked.
	ExitOK = 0
	// ExitFailed: the execution the command waited for ended Failed or
	// Cancelled.
	ExitFailed = 1
	// ExitUsage: any other error: bad usage, an unknown name or id, a
	// database that cannot be opened, a refused action, an interrupted
	// wait.
	ExitUsage = 2
)

// EnvDatabaseURL is the environment variable read when --db is not given.
const EnvDatabaseURL = "CLOACINA_DATABASE_URL"

// Env is what the command runs with: its streams, its environment and the
// parts a program embedding it may replace.
type Env struct {
	Stdout, Stderr io.Writer
	// Stdin is read by --input @-.
	Stdin io.Reader
	// Getenv reads the environment (nil: os.Getenv).
	Getenv func(string) string
	// Terminal says Stdout is a terminal: run --wait then redraws one
	// progress line instead of printing a line per event.
	Terminal bool
	// Registry holds the workflows this process executes itself. Nil means
	// an empty registry: the command claims no task.
	Registry *runtime.Registry
	// UI builds the web UI served by `cloacina ui`; nil when this build
	// has none.
	UI UIFunc
	// Logger receives the runner's logs (nil: warnings and errors to
	// Stderr).
	Logger *slog.Logger
}

// globals are the flags every command accepts.
type globals struct {
	db, schema string
	json       bool
}

// call is one run of a leaf command.
type call struct {
	env  *Env
	g    *globals
	args []string
	fs   *flag.FlagSet
	reg  *runtime.Registry
	// dbSource says where the database URL came from, for hints.
	dbSource string
}

// command is a node of the command tree: a group with subcommands or a
// leaf with a run function.
type command struct {
	name    string
	args    string // positional arguments in the usage line
	summary string
	help    string // longer text after the usage line
	flags   func(fs *flag.FlagSet)
	run     func(ctx context.Context, c *call) error
	sub     []*command
}

// exitError carries an exit code other than ExitUsage.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError is a mistake in the command line; the usage of the command is
// printed after it.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// errExecutionFailed makes the command exit with ExitFailed without
// printing more than it did.
var errExecutionFailed = &exitError{code: ExitFailed, err: errors.New("execution did not complete")}

// Run runs the command line args (without the program name) and returns
// the exit code. ctx ends long-running commands (follow, wait, ui).
func Run(ctx context.Context, env *Env, args []string) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	root := commands()
	g := &globals{}
	fs := newFlagSet("cloacina", g)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printGroupHelp(env.Stdout, nil, root)
			return ExitOK
		}
		fmt.Fprintf(env.Stderr, "cloacina: %v\nRun 'cloacina help' for usage.\n", err)
		return ExitUsage
	}
	rest := fs.Args()
	if len(rest) == 0 || rest[0] == "help" {
		path, cmd := []string{}, root
		for _, a := range rest[min(1, len(rest)):] {
			next := cmd.find(a)
			if next == nil {
				fmt.Fprintf(env.Stderr, "cloacina: unknown command %q%s\n", a, didYouMean(a, cmd))
				return ExitUsage
			}
			path, cmd = append(path, a), next
		}
		if len(rest) == 0 {
			printGroupHelp(env.Stderr, nil, root)
			return ExitUsage
		}
		printHelp(env.Stdout, path, cmd, g)
		return ExitOK
	}
	var path []string
	cmd := root
	for cmd.run == nil {
		if len(rest) == 0 || strings.HasPrefix(rest[0], "-") && rest[0] != "-h" && rest[0] != "--help" && rest[0] != "-help" {
			fmt.Fprintf(env.Stderr, "cloacina %s: missing subcommand\n\n", strings.Join(path, " "))
			printGroupHelp(env.Stderr, path, cmd)
			return ExitUsage
		}
		if rest[0] == "-h" || rest[0] == "--help" || rest[0] == "-help" {
			printGroupHelp(env.Stdout, path, cmd)
			return ExitOK
		}
		next := cmd.find(rest[0])
		if next == nil {
			where := "cloacina"
			if len(path) > 0 {
				where += " " + strings.Join(path, " ")
			}
			fmt.Fprintf(env.Stderr, "%s: unknown command %q%s\nRun '%s --help' for the list.\n", where, rest[0], didYouMean(rest[0], cmd), where)
			return ExitUsage
		}
		path, cmd, rest = append(path, rest[0]), next, rest[1:]
	}
	name := "cloacina " + strings.Join(path, " ")
	lfs := newFlagSet(name, g)
	if cmd.flags != nil {
		cmd.flags(lfs)
	}
	pos, err := parseInterspersed(lfs, rest)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printHelp(env.Stdout, path, cmd, g)
			return ExitOK
		}
		fmt.Fprintf(env.Stderr, "%s: %v\nRun '%s --help' for usage.\n", name, err, name)
		return ExitUsage
	}
	c := &call{env: env, g: g, args: pos, fs: lfs}
	err = cmd.run(ctx, c)
	var ue *usageError
	var ee *exitError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "%s: %s\nusage: %s\nRun '%s --help' for details.\n", name, ue.msg, usageLine(path, cmd), name)
		return ExitUsage
	case err == errExecutionFailed:
		return ExitFailed
	case errors.As(err, &ee):
		fmt.Fprintf(env.Stderr, "%s: %v\n", name, err)
		return ee.code
	default:
		fmt.Fprintf(env.Stderr, "%s: %v\n", name, err)
		return ExitUsage
	}
}

// find returns the subcommand called name, or nil.
func (c *command) find(name string) *command {
	for _, s := range c.sub {
		if s.name == name {
			return s
		}
	}
	return nil
}

func didYouMean(name string, c *command) string {
	var names []string
	for _, s := range c.sub {
		names = append(names, s.name)
	}
	return suggest.DidYouMean(name, names)
}

// newFlagSet makes a flag set with the global flags; their defaults are
// the values already parsed, so flags given before the subcommand stay.
func newFlagSet(name string, g *globals) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&g.db, "db", g.db, "database `URL` (default $"+EnvDatabaseURL+")")
	fs.StringVar(&g.schema, "schema", g.schema, "tenant: the PostgreSQL `schema` (default public)")
	fs.BoolVar(&g.json, "json", g.json, "print JSON instead of tables")
	return fs
}

// parseInterspersed parses flags placed before, between and after the
// positional arguments, which it returns; everything after "--" is
// positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var tail []string
	for i, a := range args {
		if a == "--" {
			args, tail = args[:i], args[i+1:]
			break
		}
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return append(pos, tail...), nil
		}
		pos, args = append(pos, args[0]), args[1:]
	}
}

// usageLine is "cloacina executions show [flags] <id>".
func usageLine(path []string, c *command) string {
	s := "cloacina " + strings.Join(path, " ") + " [flags]"
	if c.args != "" {
		s += " " + c.args
	}
	return s
}

// printHelp prints a command's help: a group's list of subcommands, or a
// leaf's usage, text and flags.
func printHelp(w io.Writer, path []string, c *command, g *globals) {
	if c.run == nil {
		printGroupHelp(w, path, c)
		return
	}
	fmt.Fprintf(w, "usage: %s\n\n%s\n", usageLine(path, c), c.summary)
	if c.help != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.help))
	}
	fs := newFlagSet("", &globals{})
	if c.flags != nil {
		c.flags(fs)
	}
	fmt.Fprintf(w, "\nflags:\n")
	printFlags(w, fs)
}

// printFlags lists flags as "--name value  usage", sorted by name.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	var lines [][2]string
	fs.VisitAll(func(f *flag.Flag) {
		typ, usage := flag.UnquoteUsage(f)
		left := "--" + f.Name
		if typ != "" {
			left += " " + typ
		}
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" {
			usage += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		lines = append(lines, [2]string{left, usage})
	})
	sort.Slice(lines, func(i, j int) bool { return lines[i][0] < lines[j][0] })
	width := 0
	for _, l := range lines {
		width = max(width, len(l[0]))
	}
	for _, l := range lines {
		fmt.Fprintf(w, "  %-*s  %s\n", width, l[0], l[1])
	}
}

// printGroupHelp lists a group's subcommands; for the root it adds the
// global flags and the exit codes.
func printGroupHelp(w io.Writer, path []string, c *command) {
	name := strings.TrimSpace("cloacina " + strings.Join(path, " "))
	fmt.Fprintf(w, "usage: %s <command> [flags] [arguments]\n\n", name)
	if c.summary != "" {
		fmt.Fprintf(w, "%s\n\n", c.summary)
	}
	fmt.Fprintf(w, "commands:\n")
	width := 0
	for _, s := range c.sub {
		width = max(width, len(s.name))
	}
	for _, s := range c.sub {
		fmt.Fprintf(w, "  %-*s  %s\n", width, s.name, s.summary)
	}
	if len(path) == 0 {
		fmt.Fprintf(w, "\nflags of every command:\n")
		printFlags(w, newFlagSet("", &globals{}))
		fmt.Fprint(w, `
The database is --db, or $`+EnvDatabaseURL+` when --db is not given:
sqlite://path.db, sqlite:///abs/path.db or postgres://user@host/db.

exit codes:
  0  success
  1  the execution failed or was cancelled (commands that wait for one)
  2  any other error: usage, an unknown name or id, a database that cannot
     be reached, a refused action, an interrupted wait
`)
	}
	fmt.Fprintf(w, "\nRun '%s <command> --help' for a command's flags.\n", name)
}
