package postgres_test

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cloacina-go/cloacina/runtime/store"
)

// TestPagePlanWithManyExecutions fills a schema with many executions
// (CLOACINA_PAGE_PLAN_EXECUTIONS of them, with one set-based INSERT ...
// SELECT generate_series), logs the plans of the paged listing's queries
// and of the pruner's selection, checks that each walks an index rather
// than the table, and times pages read through the store. It is skipped
// unless the variable is set:
//
//	CLOACINA_TEST_DATABASE_URL=... CLOACINA_PAGE_PLAN_EXECUTIONS=1000000 \
//	    go test -run PagePlan -v ./runtime/store/postgres/
func TestPagePlanWithManyExecutions(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("CLOACINA_PAGE_PLAN_EXECUTIONS"))
	if n <= 0 {
		t.Skip("set CLOACINA_PAGE_PLAN_EXECUTIONS (e.g. 1000000) to capture the paged listing's plans")
	}
	ctx := context.Background()
	s := newStore(t)
	pool := s.Pool()
	q := func(sql string) string {
		return strings.ReplaceAll(sql, "cloacina_", pgx.Identifier{s.Schema()}.Sanitize()+".cloacina_")
	}
	start := time.Now()
	// Ten workflows, one execution in ten started by a schedule, one in a
	// hundred failed, one per second from 2026-01-01.
	if _, err := pool.Exec(ctx, q(`INSERT INTO cloacina_executions (id, workflow_name, workflow_version, tenant, state, input,
			tasks_total, leaves_remaining, created_at, started_at, completed_at, origin, origin_name)
		SELECT lpad(i::text, 12, '0'), 'w' || (i % 10), 'v1', 'public',
			CASE WHEN i % 100 = 0 THEN 'failed' ELSE 'completed' END, '{}', 1, 0,
			timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second',
			timestamptz '2026-01-01 00:00:00+00' + i * interval '1 second',
			timestamptz '2026-01-01 00:00:01+00' + i * interval '1 second',
			CASE WHEN i % 10 = 0 THEN 'schedule' ELSE '' END, CASE WHEN i % 10 = 0 THEN 'nightly' ELSE '' END
		FROM generate_series(1, $1) AS i`), n); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, q(`ANALYZE cloacina_executions`)); err != nil {
		t.Fatal(err)
	}
	t.Logf("inserted %d executions in %s", n, time.Since(start).Round(time.Millisecond))
	mid := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(n/2) * time.Second)
	midID := strings.Repeat("0", 12-len(strconv.Itoa(n/2))) + strconv.Itoa(n/2)
	cols := `id, workflow_name, workflow_version, state, created_at, origin, origin_name`
	plans := []struct{ name, sql string }{
		{"first page", `SELECT ` + cols + ` FROM cloacina_executions ORDER BY created_at DESC, id DESC LIMIT 51`},
		{"page after a cursor half way", `SELECT ` + cols + ` FROM cloacina_executions
			WHERE (created_at, id) < ('` + mid.Format(time.RFC3339) + `'::timestamptz, '` + midID + `'::text)
			ORDER BY created_at DESC, id DESC LIMIT 51`},
		{"page of one workflow after a cursor", `SELECT ` + cols + ` FROM cloacina_executions
			WHERE workflow_name = 'w3' AND (created_at, id) < ('` + mid.Format(time.RFC3339) + `'::timestamptz, '` + midID + `'::text)
			ORDER BY created_at DESC, id DESC LIMIT 51`},
		{"page of one schedule's executions", `SELECT ` + cols + ` FROM cloacina_executions
			WHERE origin = 'schedule' AND origin_name = 'nightly' ORDER BY created_at DESC, id DESC LIMIT 51`},
		{"failed executions of one workflow", `SELECT ` + cols + ` FROM cloacina_executions
			WHERE workflow_name = 'w0' AND state = ANY('{failed}') ORDER BY created_at DESC, id DESC LIMIT 51`},
		{"pruner batch", `SELECT id FROM cloacina_executions
			WHERE state IN ('completed', 'failed', 'cancelled') AND state = ANY('{completed}') AND completed_at < '` + mid.Format(time.RFC3339) + `'
			ORDER BY completed_at LIMIT 500`},
	}
	for _, p := range plans {
		rows, err := pool.Query(ctx, q(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) `+p.sql))
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		rows.Close()
		text := strings.Join(plan, "\n")
		t.Logf("%s, %d executions:\n%s", p.name, n, text)
		if strings.Contains(text, "Seq Scan") {
			t.Errorf("%s reads the whole table", p.name)
		}
	}
	// Pages read through the store, from the newest to deep in the history.
	var cursor store.PageCursor
	var worst time.Duration
	for i := range 20 {
		at := time.Now()
		es, err := s.ListExecutions(ctx, &store.ListExecutionsParams{WorkflowName: "w7", After: cursor, Limit: 51})
		if err != nil {
			t.Fatal(err)
		}
		worst = max(worst, time.Since(at))
		last := es[len(es)-1]
		cursor = store.PageCursor{CreatedAt: last.CreatedAt, ID: last.ID}
		if i == 0 {
			cursor = store.PageCursor{CreatedAt: mid, ID: midID}
		}
	}
	t.Logf("slowest of 20 pages of 51 through the store: %s", worst.Round(time.Microsecond))
}
