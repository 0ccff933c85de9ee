package postgres

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cloacina-go/cloacina/internal/testdb"
	"github.com/cloacina-go/cloacina/runtime/store/internal/engine"
)

// TestEventRowSequenceFollowsTheStride: migration 008 writes the event
// log's stride into the row sequence as a number; a row's events are
// numbered from its id, so ids closer together than engine.EventStride
// would give two events one id.
func TestEventRowSequenceFollowsTheStride(t *testing.T) {
	ctx := context.Background()
	schema := testdb.FreshSchema(t, "cloacina_stride_")
	pool, err := pgxpool.New(ctx, testdb.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s, err := New(ctx, pool, &Options{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var inc, lo int64
	if err := pool.QueryRow(ctx, `SELECT increment_by, min_value FROM pg_sequences
		WHERE schemaname = $1 AND sequencename = 'cloacina_events_row'`, schema).Scan(&inc, &lo); err != nil {
		t.Fatal(err)
	}
	if inc != engine.EventStride || lo != engine.EventStride {
		t.Fatalf("cloacina_events_row increments by %d from %d; want engine.EventStride, %d", inc, lo, engine.EventStride)
	}
}
