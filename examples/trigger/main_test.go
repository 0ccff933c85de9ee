package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestTriggerIngestsEachFileOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out strings.Builder
	if err := run(ctx, "sqlite://:memory:", &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, want := range []string{"ingested orders-1.csv: 3 lines", "ingested orders-2.csv: 5 lines", "ingested orders-3.csv: 2 lines",
		`3 executions of ingest, all started by trigger "new_file"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
