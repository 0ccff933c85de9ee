package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
)

// diamond is a recorded definition with a fan-out, a fan-in, a trigger
// rule and a task id Mermaid cannot use as a node name.
func diamond() runtime.WorkflowDefinition {
	retry := runtime.DefaultRetryPolicy()
	return runtime.WorkflowDefinition{
		Name: "etl", Version: "0123456789abcdef", Description: "nightly load", Author: "data team",
		RecordedBy: "worker-1", RecordedAt: time.Date(2026, 1, 31, 3, 0, 0, 0, time.UTC),
		Tasks: []runtime.TaskDefinition{
			{ID: "extract", Retry: retry},
			{ID: "clean-rows", Dependencies: []string{"extract"}, Retry: retry, Timeout: 30 * time.Second},
			{ID: "end", Dependencies: []string{"extract"}, Retry: retry},
			{ID: "load", Dependencies: []string{"clean-rows", "end"}, Trigger: "any(task_success(clean-rows), task_success(end))", Retry: retry},
		},
		Schedules: []runtime.Schedule{{Name: "nightly", Cron: "0 3 * * *"}},
	}
}

// TestWriteGraph compares the three formats of `workflows show` with
// testdata/graph_*.golden (go test -run TestWriteGraph -update rewrites
// them).
func TestWriteGraph(t *testing.T) {
	for _, format := range []string{"text", "mermaid", "dot"} {
		var b bytes.Buffer
		if err := writeGraph(&b, diamond(), format, 2); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", "graph_"+format+".golden")
		if updateGolden() {
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if b.String() != string(want) {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", format, b.String(), want)
		}
	}
}

// updateGolden reports whether -update was given (the flag is defined in
// the external test package, which shares the test binary).
func updateGolden() bool {
	for _, a := range os.Args {
		if a == "-update" || a == "-update=true" || a == "--update" {
			return true
		}
	}
	return false
}

// TestWriteGraphInvalid: a recorded graph that does not hold together is
// reported, not drawn.
func TestWriteGraphInvalid(t *testing.T) {
	def := diamond()
	def.Tasks[0].Dependencies = []string{"load"}
	err := writeGraph(&bytes.Buffer{}, def, "text", 1)
	if err == nil || !strings.Contains(err.Error(), "workflow etl version 0123456789abcdef: its recorded graph is invalid") {
		t.Fatalf("err = %v", err)
	}
}

// TestTableAlignment: columns are padded to their widest cell, empty
// cells print "-" and a cell never breaks its row.
func TestTableAlignment(t *testing.T) {
	var b bytes.Buffer
	tb := newTable(&b, "ID", "STATUS", "ERROR")
	tb.row("a", "Completed", "")
	tb.row("bbbbbb", "Failed", "line one\nline two")
	if err := tb.flush(); err != nil {
		t.Fatal(err)
	}
	want := "ID      STATUS     ERROR\n" +
		"a       Completed  -\n" +
		"bbbbbb  Failed     line one line two\n"
	if b.String() != want {
		t.Fatalf("got:\n%q\nwant:\n%q", b.String(), want)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://alice:s3cret@db:5432/app?sslmode=disable": "postgres://alice:xxxxx@db:5432/app?sslmode=disable",
		"postgres://alice@db/app":                             "postgres://alice@db/app",
		"host=db user=alice password=s3cret":                  "host=db user=alice password=xxxxx",
		"sqlite://cloacina.db":                                "sqlite://cloacina.db",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClosestIDs(t *testing.T) {
	ids := []string{
		"3f2a9c1e-0000-4000-8000-000000000001",
		"3f2a9c1e-0000-4000-8000-000000000002",
		"77777777-0000-4000-8000-000000000003",
	}
	// A mistyped character: the nearest by edit distance come first.
	if got := closestIDs("3f2a9c1e-0000-4000-8000-00000000000x", ids, 2); len(got) != 2 || got[0] != ids[0] || got[1] != ids[1] {
		t.Fatalf("typo: %v", got)
	}
	// A wrong tail: the longest shared prefix.
	if got := closestIDs("3f2a9c1e-ffff", ids, 1); len(got) != 1 || got[0] != ids[0] {
		t.Fatalf("prefix: %v", got)
	}
	if got := closestIDs("zzzz", ids, 3); len(got) != 0 {
		t.Fatalf("nothing close: %v", got)
	}
}
