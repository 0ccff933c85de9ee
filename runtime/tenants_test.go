package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cloacina-go/cloacina/runtime"
	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/postgres"
)

// TestPostgresTenantIsolation runs two tenants in two schemas of one
// database, both registering a workflow of the same name: tenant B's runner
// neither sees nor claims tenant A's execution, which waits until A's own
// runner starts and completes it.
func TestPostgresTenantIsolation(t *testing.T) {
	t.Parallel()
	u := postgresURL(t)
	schemaA, schemaB := freshSchema(t), freshSchema(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var mu sync.Mutex
	ran := map[string]map[string]int{} // tenant -> execution id -> task runs
	tenantWorkflow := func(tenant string) *runtime.Workflow {
		task := func(ctx context.Context, c *runtime.Context) error {
			m, _ := runtime.MetaFrom(ctx)
			mu.Lock()
			defer mu.Unlock()
			if ran[tenant] == nil {
				ran[tenant] = map[string]int{}
			}
			ran[tenant][m.ExecutionID]++
			return c.Set(m.TaskID, tenant)
		}
		return runtime.NewWorkflow("tenant_flow").Add(
			&runtime.Task{ID: "extract", Fingerprint: "x", Func: task},
			&runtime.Task{ID: "transform", Dependencies: []string{"extract"}, Fingerprint: "t", Func: task},
			&runtime.Task{ID: "load", Dependencies: []string{"transform"}, Fingerprint: "l", Func: task},
		).MustBuild()
	}
	runs := func(tenant, id string) int {
		mu.Lock()
		defer mu.Unlock()
		return ran[tenant][id]
	}

	// Tenant A's execution is created in its schema while no runner of A
	// exists.
	stA, err := postgres.Open(ctx, u, &postgres.Options{Schema: schemaA})
	if err != nil {
		t.Fatal(err)
	}
	defer stA.Close()
	idA, err := pgCreateExecution(ctx, stA, tenantWorkflow("A"))
	if err != nil {
		t.Fatal(err)
	}

	// Tenant B's runner, polling often, with the same workflow name.
	rB := newRunner(t, &runtime.Config{
		DatabaseURL: u, Schema: schemaB, RunnerID: "runner-b",
		HeartbeatInterval: 50 * time.Millisecond, StaleClaimThreshold: time.Second, FallbackPollInterval: 50 * time.Millisecond,
	}, tenantWorkflow("B"))
	if list, err := rB.ListExecutions(ctx, nil); err != nil || len(list) != 0 {
		t.Fatalf("B lists %v (%v), want nothing", list, err)
	}
	if _, err := rB.Execution(ctx, idA); !errors.Is(err, runtime.ErrExecutionNotFound) {
		t.Fatalf("B's Execution(A's id): %v, want ErrExecutionNotFound", err)
	}
	if _, err := rB.Events(ctx, idA); !errors.Is(err, runtime.ErrExecutionNotFound) {
		t.Fatalf("B's Events(A's id): %v, want ErrExecutionNotFound", err)
	}
	// A claim in B's schema, for any workflow, finds none of A's ready task.
	if res, err := rB.Store().ClaimTasks(ctx, &store.ClaimTasksParams{RunnerID: "probe", Limit: 100}); err != nil || len(res.Tasks) != 0 {
		t.Fatalf("a claim in B's schema got %v (%v)", res, err)
	}
	// B's runner works: its own execution completes, by B.
	resB, err := rB.Execute(ctx, "tenant_flow", nil)
	if err != nil || resB.Status != runtime.PipelineStatusCompleted || resB.Context.String() != `{"extract":"B","load":"B","transform":"B"}` {
		t.Fatalf("B's execution: %v %v", resB, err)
	}
	// Give B's runner a few more polls: A's execution stays untouched.
	time.Sleep(300 * time.Millisecond)
	if n := runs("B", idA); n != 0 {
		t.Fatalf("B's runner ran %d tasks of A's execution", n)
	}
	exA, err := stA.GetExecution(ctx, idA)
	if err != nil || exA.State != store.ExecutionPending {
		t.Fatalf("A's execution: %+v (%v), want pending", exA, err)
	}
	tasksA, err := stA.ListTasks(ctx, idA)
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasksA {
		if task.Attempt != 0 || task.ClaimedBy != "" {
			t.Fatalf("A's task %s was claimed: %+v", task.TaskID, task)
		}
	}
	// Nor does A see B's execution.
	if _, err := stA.GetExecution(ctx, resB.ExecutionID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("A's store finds B's execution: %v", err)
	}

	// A's runner completes A's execution.
	rA := newRunner(t, &runtime.Config{DatabaseURL: u, Schema: schemaA, RunnerID: "runner-a"}, tenantWorkflow("A"))
	h, err := rA.Execution(ctx, idA)
	if err != nil {
		t.Fatal(err)
	}
	resA, err := h.Wait(ctx)
	if err != nil || resA.Status != runtime.PipelineStatusCompleted || resA.Context.String() != `{"extract":"A","load":"A","transform":"A"}` {
		t.Fatalf("A's execution: %v %v", resA, err)
	}
	if runs("A", idA) != 3 || runs("B", idA) != 0 || runs("A", resB.ExecutionID) != 0 || runs("B", resB.ExecutionID) != 3 {
		t.Fatalf("task runs by tenant: %v", ran)
	}
	list, err := rA.ListExecutions(ctx, nil)
	if err != nil || len(list) != 1 || list[0].ID != idA {
		t.Fatalf("A lists %v (%v), want only %s", list, err, idA)
	}
	if _, err := rA.Execution(ctx, resB.ExecutionID); !errors.Is(err, runtime.ErrExecutionNotFound) {
		t.Fatalf("A's Execution(B's id): %v, want ErrExecutionNotFound", err)
	}
	events, err := rA.Events(ctx, idA)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.RunnerID == rB.ID() {
			t.Fatalf("B's runner wrote an event of A's execution: %+v", e)
		}
		if e.Kind == store.EventTaskCompleted && e.RunnerID != rA.ID() {
			t.Fatalf("a task of A completed by %q", e.RunnerID)
		}
	}
}

// TestPostgresTenantNamesRejected: a schema name that is not
// [A-Za-z0-9_]+ is refused by NewRunner, naming the Schema field, before
// any SQL: the database address is unreachable, and the error is still
// about the name. It needs no database, so it always runs.
func TestPostgresTenantNamesRejected(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const unreachable = "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=5"
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	pool, err := pgxpool.New(ctx, unreachable) // connects lazily: only SQL would fail
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for _, bad := range []string{"tenant-1", "tenant 1", "t;drop"} {
		for _, viaPool := range []bool{false, true} {
			cfg := &runtime.Config{DatabaseURL: unreachable, Schema: bad, Registry: runtime.NewRegistry(), Logger: discard}
			if viaPool {
				cfg.DatabaseURL, cfg.Pool = "", pool
			}
			r, err := runtime.NewRunner(ctx, cfg)
			if err == nil {
				_ = r.Shutdown(ctx)
				t.Fatalf("schema %q accepted", bad)
			}
			msg := err.Error()
			if bad == "t;drop" && !viaPool {
				t.Logf("NewRunner with Schema %q: %v", bad, err)
			}
			if !strings.Contains(msg, "Schema") || !strings.Contains(msg, fmt.Sprintf("%q", bad)) ||
				!strings.Contains(msg, "[A-Za-z0-9_]+") || strings.Contains(msg, "connect") {
				t.Errorf("schema %q (pool: %v): error %q should name the Schema field and the rule, and come before connecting", bad, viaPool, msg)
			}
		}
	}
	// The same start-up with a valid name does reach for the database, and
	// fails to connect: the rejections above came first.
	r, err := runtime.NewRunner(ctx, &runtime.Config{DatabaseURL: unreachable, Schema: "tenant_1", Registry: runtime.NewRegistry(), Logger: discard})
	if err == nil {
		_ = r.Shutdown(ctx)
		t.Fatal("a runner started on an unreachable database")
	}
	if strings.Contains(err.Error(), "Schema") {
		t.Fatalf("valid schema name refused: %v", err)
	}
}

// TestPostgresConcurrentMigration starts ten runners and stores, each with
// its own pool, at once on a fresh schema: all succeed, and each migration
// is recorded exactly once.
func TestPostgresConcurrentMigration(t *testing.T) {
	t.Parallel()
	u := postgresURL(t)
	schema := freshSchema(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	type opened struct {
		r   *runtime.Runner
		st  *postgres.Store
		err error
	}
	const n = 10
	start := make(chan struct{})
	out := make(chan opened, n)
	for i := range n {
		go func() {
			<-start
			if i%2 == 0 {
				r, err := runtime.NewRunner(ctx, &runtime.Config{DatabaseURL: u, Schema: schema, RunnerID: fmt.Sprintf("migrator%d", i),
					Registry: runtime.NewRegistry(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
				out <- opened{r: r, err: err}
				return
			}
			st, err := postgres.Open(ctx, u, &postgres.Options{Schema: schema})
			out <- opened{st: st, err: err}
		}()
	}
	close(start)
	for range n {
		o := <-out
		switch {
		case o.err != nil:
			t.Errorf("start-up failed: %v", o.err)
		case o.r != nil:
			t.Cleanup(func() {
				if err := o.r.Shutdown(context.Background()); err != nil {
					t.Errorf("Shutdown: %v", err)
				}
			})
		default:
			t.Cleanup(func() { o.st.Close() })
		}
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT version FROM `+schema+`.cloacina_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	// Each embedded migration once (their numbers may have gaps).
	files, err := filepath.Glob("store/postgres/migrations/*.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	var want []int
	for _, f := range files {
		n, err := strconv.Atoi(strings.SplitN(filepath.Base(f), "_", 2)[0])
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, n)
	}
	sort.Ints(want)
	if len(want) == 0 || want[len(want)-1] != postgres.LatestSchemaVersion() || !slices.Equal(versions, want) {
		t.Fatalf("migrations recorded: %v, want each of %v once", versions, want)
	}
}

// TestWorkflowTenantRestrictsWhereItRuns: a workflow declared for a tenant
// runs in that tenant's schema only. A runner of another tenant refuses to
// start it, and does not claim an execution of it found in its schema; a
// workflow declared for no tenant runs in both.
func TestPostgresWorkflowTenantRestrictsWhereItRuns(t *testing.T) {
	t.Parallel()
	u := postgresURL(t)
	acme, other := freshSchema(t), freshSchema(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	noop := fn(func(context.Context, *runtime.Context) error { return nil })
	only := runtime.NewWorkflow("acme_only").Tenant(acme).Add(&runtime.Task{ID: "a", Func: noop}).MustBuild()
	shared := runtime.NewWorkflow("shared").Add(&runtime.Task{ID: "a", Func: noop}).MustBuild()
	if only.Tenant() != acme || shared.Tenant() != "" {
		t.Fatalf("tenants: %q, %q", only.Tenant(), shared.Tenant())
	}
	ra := newRunner(t, &runtime.Config{DatabaseURL: u, Schema: acme}, only, shared)
	rb := newRunner(t, &runtime.Config{DatabaseURL: u, Schema: other}, only, shared)

	if res := execute(t, ra, "acme_only", nil); res.Status != runtime.PipelineStatusCompleted {
		t.Fatalf("acme_only in its tenant: %s", res.Status)
	}
	_, err := rb.ExecuteAsync(ctx, "acme_only", nil)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("belongs to tenant %q", acme)) ||
		!strings.Contains(err.Error(), fmt.Sprintf("serves tenant %q", other)) {
		t.Fatalf("starting acme_only in another tenant = %v", err)
	}
	for _, r := range []*runtime.Runner{ra, rb} {
		if res := execute(t, r, "shared", nil); res.Status != runtime.PipelineStatusCompleted {
			t.Fatalf("a workflow of no tenant: %s", res.Status)
		}
	}
	// An execution of acme_only that reached the other tenant's schema
	// anyway (written by hand) is left alone by that tenant's runner: it
	// claims the later execution of shared, and not this older one.
	id, err := pgCreateExecution(ctx, rb.Store(), only)
	if err != nil {
		t.Fatal(err)
	}
	if res := execute(t, rb, "shared", nil); res.Status != runtime.PipelineStatusCompleted {
		t.Fatalf("shared after the foreign execution: %s", res.Status)
	}
	e, err := rb.Execution(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Result(ctx)
	if err != nil || res.Status != runtime.PipelineStatusPending || res.Tasks[0].Status != runtime.TaskStatusReady {
		t.Fatalf("the foreign execution = %+v, %v; want it Pending with its task Ready (never claimed)", res, err)
	}
}
