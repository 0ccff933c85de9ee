package graphtext

import (
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	g := Graph{Name: "etl", Version: "v1",
		Nodes: []Node{{ID: "task1"}, {ID: "clean-rows", Deps: []string{"task1"}}, {ID: "end", Deps: []string{"task1", "clean-rows"}}},
		Labels: func(from, to string) []string {
			if from == "task1" && to == "clean-rows" {
				return []string{"rows", `a"b`}
			}
			return nil
		}}
	var b strings.Builder
	if err := Write(&b, Mermaid, g); err != nil {
		t.Fatal(err)
	}
	// "task1" is a task's own name, so the generated names skip it.
	want := `%% workflow etl, version v1
flowchart TD
    task1
    task4["clean-rows"]
    task2["end"]
    task1 -->|"rows, a#quot;b"| task4
    task1 --> task2
    task4 --> task2
`
	if b.String() != want {
		t.Errorf("mermaid:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	if err := Write(&b, DOT, g); err != nil {
		t.Fatal(err)
	}
	want = `// workflow etl, version v1
digraph "etl" {
	"task1";
	"clean-rows";
	"end";
	"task1" -> "clean-rows" [label="rows, a\"b"];
	"task1" -> "end";
	"clean-rows" -> "end";
}
`
	if b.String() != want {
		t.Errorf("dot:\n%s\nwant:\n%s", b.String(), want)
	}
	if _, err := ParseFormat("svg"); err == nil || !strings.Contains(err.Error(), "use mermaid or dot") {
		t.Errorf("ParseFormat(svg) = %v", err)
	}
}
