package main

import (
	"os"
	"testing"
	"time"
)

// TestComparisonRuns runs both sides of the comparison on a small load, for
// each shape, against the PostgreSQL server named by
// CLOACINA_TEST_DATABASE_URL. Each side checks that every task or job
// completed, so a broken side fails here rather than in a benchmark run.
// It measures nothing: speed is the program's business, not a test's.
func TestComparisonRuns(t *testing.T) {
	url := os.Getenv("CLOACINA_TEST_DATABASE_URL")
	if url == "" {
		if os.Getenv("CLOACINA_REQUIRE_POSTGRES") != "" {
			t.Fatal("CLOACINA_REQUIRE_POSTGRES is set but CLOACINA_TEST_DATABASE_URL is empty")
		}
		t.Skip("CLOACINA_TEST_DATABASE_URL is not set; skipping the River comparison")
	}
	for _, shape := range []string{"wide", "parallel"} {
		t.Run(shape, func(t *testing.T) {
			o := options{
				db: url, n: 500, shape: shape, workers: 20, timeout: 2 * time.Minute,
				riverFetchCooldown: 2 * time.Millisecond, riverFetchPoll: 20 * time.Millisecond,
				riverInsert: "many", riverBatch: 5000,
			}
			if err := validate(&o, 1, false, false); err != nil {
				t.Fatal(err)
			}
			if err := run(&o, 1, true, true); err != nil {
				t.Fatal(err)
			}
		})
	}
}
