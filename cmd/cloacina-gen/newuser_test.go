package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloacina-go/cloacina/internal/testgen"
)

// The README's steps for a module that uses the library, exactly as it
// shows them; TestNewUserModule checks that the README still does.
var readmeSteps = []string{
	"go get github.com/cloacina-go/cloacina/runtime",
	"go get -tool github.com/cloacina-go/cloacina/cmd/cloacina-gen",
	"//go:generate go tool cloacina-gen",
	"go generate ./...",
	"go tool cloacina-gen -check ./...",
}

// newUserProgram is the whole of a new user's module: one workflow whose
// trigger rules look into a nested object, run on SQLite.
const newUserProgram = `package main

//go:generate go tool cloacina-gen

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sort"

	"github.com/cloacina-go/cloacina/runtime"
)

//cloacina:workflow name=orders description="A new user's first workflow"

//cloacina:task id=fetch
func Fetch(ctx context.Context, c *runtime.Context) error {
	return c.Insert("order", map[string]any{"id": 7, "customer": map[string]string{"tier": "vip"}})
}

//cloacina:task id=welcome deps=fetch trigger_rules=context_value(order.customer.tier, equals, "vip")
func Welcome(ctx context.Context, c *runtime.Context) error { return c.Insert("greeting", "welcome back") }

//cloacina:task id=upsell deps=fetch trigger_rules=context_value(order.customer.tier, equals, "basic")
func Upsell(ctx context.Context, c *runtime.Context) error { return c.Insert("offer", "go premium") }

func main() {
	ctx := context.Background()
	runner, err := runtime.NewRunner(ctx, &runtime.Config{
		DatabaseURL: "sqlite://" + os.Args[1],
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		fmt.Println("NewRunner:", err)
		os.Exit(1)
	}
	defer runner.Shutdown(ctx)
	res, err := runner.Execute(ctx, "orders", runtime.NewContext())
	if err != nil {
		fmt.Println("Execute:", err)
		os.Exit(1)
	}
	var lines []string
	for _, t := range res.Tasks {
		lines = append(lines, fmt.Sprintf("%s %s", t.TaskID, t.Status))
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
	greeting, _ := runtime.Get[string](res.Context, "greeting")
	fmt.Printf("greeting %q, version %v, any tenant %v\n", greeting, OrdersVersion == OrdersWorkflow.Version(), OrdersWorkflow.Tenant() == "")
}
`

// TestNewUserModule follows the README in a fresh module outside the
// repository that requires the library (replaced by this checkout): go get
// of the runtime and of the tool, go generate, the -check CI step, then it
// builds and runs the program. It uses the real go command and the module cache; the only
// network it needs is the module proxy, for the sums of modules the cache
// already holds.
func TestNewUserModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a new module with the go command; skipped with -short")
	}
	root, err := testgen.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range readmeSteps {
		if !strings.Contains(string(readme), step) {
			t.Fatalf("README.md no longer shows %q; update the README or this test", step)
		}
	}

	dir := t.TempDir()
	gomod := "module example.com/newuser\n\ngo 1.26\n\nrequire github.com/cloacina-go/cloacina v0.0.0\n\nreplace github.com/cloacina-go/cloacina => " + root + "\n"
	for name, src := range map[string]string{"go.mod": gomod, "main.go": newUserProgram} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := newUserEnv(t)
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	// The tool step first, alone: it must record what the generated code
	// needs to build (see sums.go), for users who skip the other step.
	run("go", "get", "-tool", "github.com/cloacina-go/cloacina/cmd/cloacina-gen")
	sums, err := os.ReadFile(filepath.Join(dir, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for _, mod := range []string{"modernc.org/sqlite ", "github.com/jackc/pgx/v5 ", "github.com/google/uuid "} {
		if !strings.Contains(string(sums), mod) {
			t.Errorf("go get -tool did not record the checksum of %s, which the runtime needs", mod)
		}
	}
	run("go", "get", "github.com/cloacina-go/cloacina/runtime")
	run("go", "generate", "./...")
	if _, err := os.Stat(filepath.Join(dir, "cloacina_gen.go")); err != nil {
		t.Fatalf("go generate wrote no cloacina_gen.go: %v", err)
	}
	run("go", "tool", "cloacina-gen", "-check", "./...")
	bin := filepath.Join(dir, "newuser")
	run("go", "build", "-o", bin, ".")
	got := run(bin, filepath.Join(dir, "orders.db"))
	want := "fetch Completed\nupsell Skipped\nwelcome Completed\n" +
		"greeting \"welcome back\", version true, any tenant true\n"
	if got != want {
		t.Errorf("the program printed:\n%s\nwant:\n%s", got, want)
	}
}

// newUserEnv is the environment of the go commands of TestNewUserModule:
// this one without workspaces and without -mod or -modfile in GOFLAGS, as a
// new user's shell has it. In particular not -mod=mod, which lets the go
// command add missing go.sum entries on its own and so hides the failure
// this test exists for: go run github.com/cloacina-go/cloacina/cmd/cloacina-gen
// in a //go:generate line passes with -mod=mod and fails without it
// ("missing go.sum entry for module providing package
// github.com/dave/jennifer/jen").
//
// The module proxies are followed by "off". The cloacina module exists
// only through the replace directive, so the lookups the go command makes
// for it (and for longer module paths, such as .../cmd/cloacina-gen) must
// come back "not found"; some proxies refuse such requests with 403 instead
// of 404, which the go command takes as an error unless "|off" follows.
// Direct fetches from version control are left out: the repository need
// not be reachable.
func newUserEnv(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOPROXY").Output()
	if err != nil {
		t.Fatalf("go env GOPROXY: %v", err)
	}
	var proxies []string
	for _, p := range strings.FieldsFunc(strings.TrimSpace(string(out)), func(r rune) bool { return r == ',' || r == '|' }) {
		if p != "direct" && p != "off" {
			proxies = append(proxies, p)
		}
	}
	var env []string
	for _, kv := range os.Environ() {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "GOWORK", "GOPROXY":
			continue
		case "GOFLAGS":
			var keep []string
			for _, f := range strings.Fields(v) {
				if !strings.HasPrefix(f, "-mod=") && !strings.HasPrefix(f, "-modfile=") {
					keep = append(keep, f)
				}
			}
			kv = "GOFLAGS=" + strings.Join(keep, " ")
		}
		env = append(env, kv)
	}
	return append(env, "GOWORK=off", "GOPROXY="+strings.Join(append(proxies, "off"), "|"))
}

// TestUnbuildableDependenciesAreReported generates in a module whose
// go.sum lacks the checksum of one of the runtime's dependencies. The package cannot build, and
// go/packages marks it ill-typed without saying why: the generator must
// say why (the go command's message) and write nothing, rather than
// generate code for a build that will fail.
func TestUnbuildableDependenciesAreReported(t *testing.T) {
	root, err := testgen.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gomod := "module example.com/nosums\n\ngo 1.26\n\nrequire github.com/cloacina-go/cloacina v0.0.0\n\nreplace github.com/cloacina-go/cloacina => " + root + "\n"
	src := "package main\n\nimport (\n\t\"context\"\n\n\t\"github.com/cloacina-go/cloacina/runtime\"\n)\n\n" +
		"//go:generate go tool cloacina-gen\n\n//cloacina:workflow name=nosums\n\n//cloacina:task id=only\n" +
		"func Only(ctx context.Context, c *runtime.Context) error { return nil }\n\nfunc main() {}\n"
	for name, content := range map[string]string{"go.mod": gomod, "main.go": src} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := newUserEnv(t)
	get := exec.Command("go", "get", "github.com/cloacina-go/cloacina/runtime")
	get.Dir, get.Env = dir, env
	if out, err := get.CombinedOutput(); err != nil {
		t.Fatalf("go get: %v\n%s", err, out)
	}
	// Lose the checksums of one of the runtime's dependencies.
	sums, err := os.ReadFile(filepath.Join(dir, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, line := range strings.SplitAfter(string(sums), "\n") {
		if !strings.HasPrefix(line, "modernc.org/sqlite ") {
			kept = append(kept, line)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), []byte(strings.Join(kept, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && (k == "GOFLAGS" || k == "GOWORK" || k == "GOPROXY") {
			t.Setenv(k, v)
		}
	}
	code, _, stderr := invoke(t, dir, ".")
	if code == 0 || !strings.Contains(stderr, "missing go.sum entry") {
		t.Fatalf("exit %d, stderr:\n%s\nwant a failure that passes on the go command's missing go.sum entry", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "cloacina_gen.go")); !os.IsNotExist(err) {
		t.Fatalf("cloacina_gen.go was written for a package that cannot build (stat: %v)", err)
	}
}
