package runtime

import (
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func TestRegistry(t *testing.T) {
	r := NewRegistry()
	a := NewWorkflow("etl").Add(task("a")).MustBuild()
	same := NewWorkflow("etl").Add(task("a")).MustBuild()
	changed := NewWorkflow("etl").Add(task("a"), task("b", "a")).MustBuild()
	if err := r.Register(a); err != nil {
		t.Fatal(err)
	}
	if err := r.Register(same); err != nil {
		t.Fatalf("re-registering an identical version: %v", err)
	}
	err := r.Register(changed)
	if !errors.Is(err, ErrWorkflowExists) || !strings.Contains(err.Error(), a.Version()) || !strings.Contains(err.Error(), changed.Version()) {
		t.Fatalf("Register of another version = %v", err)
	}
	if got, err := r.Lookup("etl"); err != nil || got != a {
		t.Fatalf("Lookup = %v, %v", got, err)
	}
	_, err = r.Lookup("elt")
	if !errors.Is(err, ErrWorkflowNotFound) || err.Error() != `workflow not found: "elt" (registered: etl); did you mean "etl"?` {
		t.Fatalf("Lookup unknown = %v", err)
	}
	_, err = NewRegistry().Lookup("etl")
	if !errors.Is(err, ErrWorkflowNotFound) || !strings.Contains(err.Error(), "no workflow is registered at all") ||
		!strings.Contains(err.Error(), "cloacina_gen.go") || !strings.Contains(err.Error(), "go generate") {
		t.Fatalf("Lookup in an empty registry = %v, want a hint about generated code", err)
	}
	_ = r.Register(NewWorkflow("billing").Add(task("x")).MustBuild())
	if got := r.Names(); !reflect.DeepEqual(got, []string{"billing", "etl"}) {
		t.Fatalf("Names = %v", got)
	}
	if ws := r.Workflows(); len(ws) != 2 || ws[0].Name() != "billing" {
		t.Fatalf("Workflows = %v", ws)
	}
	if err := r.Register(nil); err == nil {
		t.Fatal("nil registered")
	}
}

func TestRegistryConcurrent(t *testing.T) {
	r := NewRegistry()
	w := NewWorkflow("etl").Add(task("a")).MustBuild()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100; j++ {
				_ = r.Register(w)
				_, _ = r.Lookup("etl")
				_ = r.Names()
			}
		}()
	}
	wg.Wait()
}

func TestDefaultRegistry(t *testing.T) {
	w := NewWorkflow("default_registry_test").Add(task("a")).MustBuild()
	MustRegister(w)
	if got, err := Lookup("default_registry_test"); err != nil || got.Version() != w.Version() {
		t.Fatalf("Lookup = %v, %v", got, err)
	}
	if DefaultRegistry().Register(w) != nil {
		t.Fatal("identical re-registration failed")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("MustRegister of a conflicting version did not panic")
		}
	}()
	MustRegister(NewWorkflow("default_registry_test").Add(task("b")).MustBuild())
}

func TestStatusNames(t *testing.T) {
	for s := TaskStatusNotStarted; s <= TaskStatusSkipped; s++ {
		b, _ := s.MarshalText()
		var back TaskStatus
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Fatalf("%s round trip: %v %v", s, back, err)
		}
	}
	for s := PipelineStatusPending; s <= PipelineStatusPaused; s++ {
		b, _ := s.MarshalText()
		var back PipelineStatus
		if err := back.UnmarshalText(b); err != nil || back != s {
			t.Fatalf("%s round trip: %v %v", s, back, err)
		}
	}
	if TaskStatusCompleted.String() != "Completed" || PipelineStatusCancelled.String() != "Cancelled" || TaskStatus(42).String() != "TaskStatus(42)" {
		t.Fatal("names")
	}
	var ts TaskStatus
	if ts.UnmarshalText([]byte("Done")) == nil {
		t.Fatal("unknown name accepted")
	}
	terminal := map[TaskStatus]bool{TaskStatusCompleted: true, TaskStatusFailed: true, TaskStatusSkipped: true}
	for s := TaskStatusNotStarted; s <= TaskStatusSkipped; s++ {
		if s.Terminal() != terminal[s] {
			t.Fatalf("%s.Terminal() = %v", s, s.Terminal())
		}
	}
	if !PipelineStatusFailed.Terminal() || PipelineStatusPaused.Terminal() {
		t.Fatal("pipeline Terminal")
	}
	r := &PipelineResult{Tasks: []TaskResult{{TaskID: "a"}, {TaskID: "b", Status: TaskStatusSkipped}}}
	if tr, ok := r.Task("b"); !ok || tr.Status != TaskStatusSkipped {
		t.Fatal("PipelineResult.Task")
	}
	if _, ok := r.Task("c"); ok {
		t.Fatal("PipelineResult.Task unknown")
	}
}
