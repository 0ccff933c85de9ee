package runtime_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/runtime"
)

// inputsWorkflow declares a string input "text" and an int input "n".
func inputsWorkflow() *runtime.Workflow {
	return runtime.NewWorkflow("words").
		Inputs(runtime.Input{Name: "text", Type: "string"}, runtime.Input{Name: "n", Type: "int"}).
		Add(&runtime.Task{ID: "split", Fingerprint: "split", Func: fn(func(context.Context, *runtime.Context) error { return nil })}).
		MustBuild()
}

func contextOf(t *testing.T, m map[string]any) *runtime.Context {
	t.Helper()
	c, err := runtime.ContextFrom(m)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSubmitChecksDeclaredInputs submits inputs that break a workflow's
// declared inputs: each is refused with an *InputError naming the key and
// what is wrong, and nothing is stored; inputs that keep to them, with
// declared keys left out, run.
func TestSubmitChecksDeclaredInputs(t *testing.T) { forEachBackend(t, testSubmitChecksDeclaredInputs) }

func testSubmitChecksDeclaredInputs(t *testing.T) {
	ctx := context.Background()
	r := newRunner(t, nil, inputsWorkflow())
	for _, c := range []struct {
		input map[string]any
		want  string
	}{
		{map[string]any{"txt": "oops"}, `execute words: input key "txt" is not an input of workflow "words" (inputs: text, n); did you mean "text"?`},
		{map[string]any{"text": 5}, `execute words: input "text" of workflow "words" is a JSON number, but the workflow declares text:string`},
		{map[string]any{"n": 1.5, "text": "a"}, `execute words: input "n" of workflow "words" is the number 1.5, with a fraction or an exponent, but the workflow declares n:int`},
		{map[string]any{"zzzzzz": true, "n": "3"}, `execute words: input "n" of workflow "words" is a JSON string, but the workflow declares n:int; ` +
			`input key "zzzzzz" is not an input of workflow "words" (inputs: text, n); declare it with inputs= on the //cloacina:workflow (or WorkflowBuilder.Inputs)`},
	} {
		_, err := r.ExecuteAsync(ctx, "words", contextOf(t, c.input))
		var ie *runtime.InputError
		if !errors.Is(err, runtime.ErrInvalidInput) || !errors.As(err, &ie) || ie.Workflow != "words" {
			t.Fatalf("ExecuteAsync(%v) = %v; want an *InputError", c.input, err)
		}
		if err.Error() != c.want {
			t.Errorf("ExecuteAsync(%v) error\n %s\nwant\n %s", c.input, err, c.want)
		}
	}
	// One bad submission refuses the whole batch.
	_, err := r.ExecuteMany(ctx, []runtime.Submission{
		{Workflow: "words", Input: contextOf(t, map[string]any{"text": "fine"})},
		{Workflow: "words", Input: contextOf(t, map[string]any{"txet": "bad"})},
	})
	if !errors.Is(err, runtime.ErrInvalidInput) || !strings.HasPrefix(err.Error(), "submission 1 of 2: execute words: ") {
		t.Fatalf("ExecuteMany with a bad input: %v", err)
	}
	stored, err := r.ListExecutions(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 0 {
		t.Fatalf("refused submissions stored %d executions", len(stored))
	}
	for _, in := range []map[string]any{{"text": "a b", "n": 2}, {}, {"n": 1e3}} {
		res, err := r.Execute(ctx, "words", contextOf(t, in))
		if err != nil || res.Status != runtime.PipelineStatusCompleted {
			t.Fatalf("Execute(%v) = %+v, %v", in, res, err)
		}
	}
}

// TestInputsDeclaredNoneOrNot: a workflow that declares an empty list
// accepts no input key, one that declares nothing accepts any.
func TestInputsDeclaredNoneOrNot(t *testing.T) {
	ctx := context.Background()
	task := func() *runtime.Task {
		return &runtime.Task{ID: "a", Fingerprint: "a", Func: fn(func(context.Context, *runtime.Context) error { return nil })}
	}
	none := runtime.NewWorkflow("none").Inputs().Add(task()).MustBuild()
	free := runtime.NewWorkflow("free").Add(task()).MustBuild()
	if _, declared := free.Inputs(); declared {
		t.Fatal("a workflow without Inputs says it declares inputs")
	}
	r := newRunner(t, nil, none, free)
	in := contextOf(t, map[string]any{"x": 1})
	if _, err := r.ExecuteAsync(ctx, "none", in); !errors.Is(err, runtime.ErrInvalidInput) ||
		!strings.Contains(err.Error(), `(it declares no inputs)`) {
		t.Fatalf("input for a workflow that declares none: %v", err)
	}
	if res, err := r.Execute(ctx, "free", in); err != nil || res.Status != runtime.PipelineStatusCompleted {
		t.Fatalf("input for a workflow that declares nothing: %+v, %v", res, err)
	}
}

// TestRecordedInputsChecked: a runner without the workflow's code submits
// it from its recorded definition and checks the input as the code would.
func TestRecordedInputsChecked(t *testing.T) { forEachBackend(t, testRecordedInputsChecked) }

func testRecordedInputsChecked(t *testing.T) {
	ctx := context.Background()
	url, schema := testDatabase(t)
	newRunner(t, &runtime.Config{DatabaseURL: url, Schema: schema, RunnerID: "worker"}, inputsWorkflow())
	tool := newRunner(t, &runtime.Config{DatabaseURL: url, Schema: schema, RunnerID: "tool"})
	defs, err := tool.ListWorkflows(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(defs) != 1 || !defs[0].InputsDeclared || len(defs[0].Inputs) != 2 || defs[0].Inputs[1].String() != "n:int" {
		t.Fatalf("recorded definition = %+v", defs)
	}
	_, err = tool.ExecuteAsync(ctx, "words", contextOf(t, map[string]any{"txt": "oops"}))
	if !errors.Is(err, runtime.ErrInvalidInput) || !strings.Contains(err.Error(), `did you mean "text"?`) {
		t.Fatalf("recorded submission with a misspelt key: %v", err)
	}
}

// TestBuildChecksInputs: declared inputs must have a name, be declared once
// and have a known type.
func TestBuildChecksInputs(t *testing.T) {
	_, err := runtime.NewWorkflow("w").
		Inputs(runtime.Input{Name: "a", Type: "strng"}, runtime.Input{Name: "a"}, runtime.Input{Type: "int"}).
		Add(&runtime.Task{ID: "t", Func: fn(func(context.Context, *runtime.Context) error { return nil })}).
		Build()
	var got []string
	for _, e := range runtime.ValidationErrors(err) {
		if e.Kind != runtime.InvalidInput {
			t.Errorf("kind %v: %v", e.Kind, e)
		}
		got = append(got, e.Detail)
	}
	want := []string{
		`input "a" has unknown type "strng"; did you mean "string"?; use any, string, number, int, bool, array, object`,
		`input "a" is declared twice`,
		`input 3 has no name`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Build errors:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestBuildChecksScheduleInput: a schedule whose input breaks the declared
// inputs, and so would be refused at every fire, does not build.
func TestBuildChecksScheduleInput(t *testing.T) {
	_, err := runtime.NewWorkflow("w").
		Inputs(runtime.Input{Name: "text", Type: "string"}).
		Add(&runtime.Task{ID: "t", Func: fn(func(context.Context, *runtime.Context) error { return nil })}).
		Schedule(runtime.Schedule{Name: "nightly", Cron: "@daily", Input: []byte(`{"txt": "x"}`)}).
		Build()
	errs := runtime.ValidationErrors(err)
	want := `schedule nightly: Input: input key "txt" is not an input of workflow "w" (inputs: text); did you mean "text"?`
	if len(errs) != 1 || errs[0].Kind != runtime.InvalidSchedule || errs[0].Detail != want {
		t.Fatalf("Build = %v; want one invalid_schedule error: %s", err, want)
	}
}

// TestScheduleAPIChecksInput: CreateSchedule and UpdateSchedule refuse an
// input every fire of which would be refused, and store nothing.
func TestScheduleAPIChecksInput(t *testing.T) {
	ctx := context.Background()
	r := newRunner(t, &runtime.Config{FallbackPollInterval: time.Hour}, inputsWorkflow())
	_, err := r.CreateSchedule(ctx, runtime.Schedule{Name: "bad", Workflow: "words", Cron: "@daily", Input: []byte(`{"txt": "x"}`)})
	if !errors.Is(err, runtime.ErrInvalidInput) || !strings.Contains(err.Error(), `did you mean "text"?`) {
		t.Fatalf("CreateSchedule with a misspelt input key: %v", err)
	}
	if _, err := r.DescribeSchedule(ctx, "bad", 1); !errors.Is(err, runtime.ErrScheduleNotFound) {
		t.Fatalf("the refused schedule was stored: %v", err)
	}
	if _, err := r.CreateSchedule(ctx, runtime.Schedule{Name: "good", Workflow: "words", Cron: "@daily", Input: []byte(`{"text": "x"}`)}); err != nil {
		t.Fatal(err)
	}
	_, err = r.UpdateSchedule(ctx, runtime.Schedule{Name: "good", Workflow: "words", Cron: "@daily", Input: []byte(`{"n": "3"}`)})
	if !errors.Is(err, runtime.ErrInvalidInput) || !strings.Contains(err.Error(), "declares n:int") {
		t.Fatalf("UpdateSchedule with a value of the wrong type: %v", err)
	}
	d, err := r.DescribeSchedule(ctx, "good", 1)
	if err != nil || string(d.Input) != `{"text":"x"}` {
		t.Fatalf("after the refused update: %+v, %v", d, err)
	}
}
