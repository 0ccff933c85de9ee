package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cloacina-go/cloacina/runtime/store"
	"github.com/cloacina-go/cloacina/runtime/store/postgres"
)

// readUntil reads the log from after until it holds back nothing, and
// returns the kinds of the events read and the cursor at the end. Held
// events wait for a transaction of another test of the server to end: each
// try is a round trip, and those transactions are short.
func readUntil(t *testing.T, s *postgres.Store, after store.Cursor) ([]*store.Event, store.Cursor) {
	t.Helper()
	var out []*store.Event
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := s.ReadEvents(context.Background(), &store.ReadEventsParams{After: after})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, res.Events...)
		after = res.Next
		if !res.Held {
			return out, after
		}
		if time.Now().After(deadline) {
			t.Fatal("events held back for 30s")
		}
	}
}

func kinds(events []*store.Event) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.Kind)
	}
	return out
}

// begin starts a transaction on a connection of its own, rolled back at
// the end of the test if it is still open.
func begin(t *testing.T, s *postgres.Store) pgx.Tx {
	t.Helper()
	tx, err := s.Pool().Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback(context.Background()) })
	return tx
}

func appendEvent(t *testing.T, s *postgres.Store, tx pgx.Tx, kind string) int64 {
	t.Helper()
	var id int64
	err := tx.QueryRow(context.Background(), `INSERT INTO `+pgx.Identifier{s.Schema(), "cloacina_events"}.Sanitize()+
		` (execution_id, n, events, at) VALUES ('e1', 1, json_build_array(json_build_object('k', $1::text)), now()) RETURNING id`, kind).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// createE1 stores execution e1, of one task, whose events the tests add to.
func createE1(t *testing.T, s *postgres.Store) {
	t.Helper()
	if _, err := s.CreateExecutions(context.Background(), &store.CreateExecutionsParams{RunnerID: "r", Executions: []*store.NewExecution{
		{ID: "e1", WorkflowName: "w", WorkflowVersion: "v", Tasks: []store.TaskSpec{{TaskID: "a", MaxAttempts: 1}}},
	}, Decide: func(*store.DecideInput) (*store.Decision, error) { return &store.Decision{Run: true}, nil }}); err != nil {
		t.Fatal(err)
	}
}

func mustExec(t *testing.T, tx pgx.Tx, sql string) {
	t.Helper()
	if _, err := tx.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// TestReadEventsLateCommit: two transactions append events and commit in
// the order that defeats a cursor on ids alone. The reader neither skips
// the late one nor returns an event twice.
func TestReadEventsLateCommit(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	createE1(t, s)
	_, cur := readUntil(t, s, store.Cursor{})

	t.Run("smaller id commits last", func(t *testing.T) {
		late, early := begin(t, s), begin(t, s)
		lateID := appendEvent(t, s, late, "late")
		earlyID := appendEvent(t, s, early, "early")
		if earlyID <= lateID {
			t.Fatalf("ids %d then %d: the test needs the late commit to hold the smaller id", lateID, earlyID)
		}
		if err := early.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		// The early commit is visible but held: the late transaction began
		// before it and may still append behind it.
		res, err := s.ReadEvents(ctx, &store.ReadEventsParams{After: cur})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Events) != 0 || !res.Held {
			t.Fatalf("read with the late transaction open = %v, held %v; want nothing yet, held", kinds(res.Events), res.Held)
		}
		cur = res.Next
		if err := late.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		var got []*store.Event
		got, cur = readUntil(t, s, cur)
		if k := kinds(got); len(k) != 2 || k[0] != "late" || k[1] != "early" {
			t.Fatalf("events after both commits = %v, want [late early]", k)
		}
		if again, _ := readUntil(t, s, cur); len(again) != 0 {
			t.Fatalf("read again = %v, want nothing", kinds(again))
		}
	})

	t.Run("older transaction takes the larger id", func(t *testing.T) {
		older, younger := begin(t, s), begin(t, s)
		mustExec(t, older, `SELECT pg_current_xact_id()`) // its transaction id comes first
		youngerID := appendEvent(t, s, younger, "younger")
		olderID := appendEvent(t, s, older, "older")
		if olderID <= youngerID {
			t.Fatalf("ids %d then %d: the test needs the older transaction to hold the larger id", youngerID, olderID)
		}
		if err := older.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		// The older transaction's event is final; a cursor past its id
		// must still find the younger one's smaller id once it commits.
		var got []*store.Event
		got, cur = readUntil(t, s, cur)
		if k := kinds(got); len(k) != 1 || k[0] != "older" {
			t.Fatalf("events after the older commit = %v, want [older]", k)
		}
		if err := younger.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		got, cur = readUntil(t, s, cur)
		if k := kinds(got); len(k) != 1 || k[0] != "younger" || got[0].ID != youngerID {
			t.Fatalf("events after the younger commit = %v, want [younger] with id %d", k, youngerID)
		}
	})
}

// TestListEventsOrdersTransactionsAsNumbers stores events of transactions
// whose ids have five and six digits, as a server's ids do once they pass
// 100,000: ListEvents returns them in transaction order, not in the order
// of their ids' text.
func TestListEventsOrdersTransactionsAsNumbers(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	createE1(t, s)
	// Rows as transactions with these ids append them. The execution's own
	// event, of the server's current transaction id, is left out of the
	// comparison.
	if _, err := s.Pool().Exec(ctx, `INSERT INTO `+pgx.Identifier{s.Schema(), "cloacina_events"}.Sanitize()+
		` (execution_id, n, events, at, tx) VALUES ('e1', 1, '[{"k":"at_99999"}]', now(), '99999'),
		('e1', 1, '[{"k":"at_100000"}]', now(), '100000'), ('e1', 1, '[{"k":"at_1000000"}]', now(), '1000000')`); err != nil {
		t.Fatal(err)
	}
	events, err := s.ListEvents(ctx, "e1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		if strings.HasPrefix(e.Kind, "at_") {
			got = append(got, e.Kind)
		}
	}
	if want := "at_99999 at_100000 at_1000000"; strings.Join(got, " ") != want {
		t.Fatalf("ListEvents order = %v, want %s", got, want)
	}
}
