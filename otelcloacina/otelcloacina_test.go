package otelcloacina_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/cloacina-go/cloacina/otelcloacina"
	"github.com/cloacina-go/cloacina/runtime"
)

// telemetry is an in-memory tracer and meter provider.
type telemetry struct {
	spans  *tracetest.InMemoryExporter
	reader *sdkmetric.ManualReader
	tp     *sdktrace.TracerProvider
	mw     *otelcloacina.Middleware
}

func newTelemetry(t *testing.T) *telemetry {
	t.Helper()
	tel := &telemetry{spans: tracetest.NewInMemoryExporter(), reader: sdkmetric.NewManualReader()}
	tel.tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(tel.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(tel.reader))
	t.Cleanup(func() {
		_ = tel.tp.Shutdown(context.Background())
		_ = mp.Shutdown(context.Background())
	})
	mw, err := otelcloacina.New(&otelcloacina.Config{TracerProvider: tel.tp, MeterProvider: mp})
	if err != nil {
		t.Fatal(err)
	}
	tel.mw = mw
	return tel
}

// metrics collects the metrics recorded so far, by name.
func (tel *telemetry) metrics(t *testing.T) map[string]metricdata.Aggregation {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := tel.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Aggregation{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m.Data
		}
	}
	return out
}

func attr(attrs []attribute.KeyValue, key attribute.Key) attribute.Value {
	for _, a := range attrs {
		if a.Key == key {
			return a.Value
		}
	}
	return attribute.Value{}
}

// runner starts a runner on a SQLite file with the middleware installed
// (with only its attempt hook when attemptsOnly).
func runner(t *testing.T, mw *otelcloacina.Middleware, path string, wfs ...*runtime.Workflow) *runtime.Runner {
	return runnerWith(t, mw, false, path, wfs...)
}

func runnerWith(t *testing.T, mw *otelcloacina.Middleware, attemptsOnly bool, path string, wfs ...*runtime.Workflow) *runtime.Runner {
	t.Helper()
	reg := runtime.NewRegistry()
	for _, wf := range wfs {
		reg.MustRegister(wf)
	}
	cfg := &runtime.Config{DatabaseURL: "sqlite://" + path, Registry: reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if attemptsOnly {
		cfg.AttemptHooks = []runtime.AttemptHook{mw.AttemptHook}
	} else {
		mw.Install(cfg)
	}
	r, err := runtime.NewRunner(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Shutdown(context.Background()) })
	return r
}

func retryOnce() *runtime.RetryPolicy {
	p := runtime.DefaultRetryPolicy()
	p.MaxAttempts, p.InitialDelay, p.Jitter = 2, time.Millisecond, false
	return &p
}

// etl is extract (which fails its first attempt) -> load.
func etl() *runtime.Workflow {
	var calls atomic.Int32
	return runtime.NewWorkflow("etl").
		Add(&runtime.Task{ID: "extract", Retry: retryOnce(), Func: func(ctx context.Context, c *runtime.Context) error {
			if calls.Add(1) == 1 {
				return errors.New("source not ready")
			}
			return c.Set("rows", 3)
		}}).
		Add(&runtime.Task{ID: "load", Dependencies: []string{"extract"}, Func: func(ctx context.Context, c *runtime.Context) error {
			// The attempt's span is in the task's context.
			if !trace.SpanContextFromContext(ctx).IsValid() {
				return errors.New("no span in the task's context")
			}
			return nil
		}}).MustBuild()
}

// TestTracesOfAnExecution: one span for the execution, linked to the
// submitter's span, and a child span per attempt with its attributes; the
// failed attempt records its error.
func TestTracesOfAnExecution(t *testing.T) {
	tel := newTelemetry(t)
	r := runner(t, tel.mw, filepath.Join(t.TempDir(), "t.db"), etl())
	ctx, caller := tel.tp.Tracer("test").Start(context.Background(), "handle request")
	res, err := r.Execute(ctx, "etl", nil)
	caller.End()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Shutdown(context.Background()); err != nil { // the execution's span ends by then
		t.Fatal(err)
	}
	spans := tel.spans.GetSpans()
	var exec tracetest.SpanStub
	var attempts []tracetest.SpanStub
	for _, s := range spans {
		switch s.Name {
		case "cloacina.execution/etl":
			exec = s
		case "cloacina.attempt/etl/extract", "cloacina.attempt/etl/load":
			attempts = append(attempts, s)
		}
	}
	if !exec.SpanContext.IsValid() {
		t.Fatalf("no execution span among %d spans", len(spans))
	}
	callerSC := caller.SpanContext()
	if exec.SpanContext.TraceID() == callerSC.TraceID() || len(exec.Links) != 1 || exec.Links[0].SpanContext.SpanID() != callerSC.SpanID() {
		t.Fatalf("execution span: trace %s, links %+v; want a trace of its own linked to the caller's span %s",
			exec.SpanContext.TraceID(), exec.Links, callerSC.SpanID())
	}
	if exec.Status.Code != codes.Ok || attr(exec.Attributes, otelcloacina.AttrStatus).AsString() != "completed" ||
		attr(exec.Attributes, otelcloacina.AttrExecutionID).AsString() != res.ExecutionID {
		t.Fatalf("execution span status %+v, attributes %v", exec.Status, exec.Attributes)
	}
	sort.Slice(attempts, func(i, j int) bool { return attempts[i].StartTime.Before(attempts[j].StartTime) })
	want := []struct {
		task    string
		attempt int64
		outcome string
	}{{"extract", 1, "failed"}, {"extract", 2, "succeeded"}, {"load", 1, "succeeded"}}
	if len(attempts) != len(want) {
		t.Fatalf("%d attempt spans, want %d", len(attempts), len(want))
	}
	for i, w := range want {
		s := attempts[i]
		if s.Parent.SpanID() != exec.SpanContext.SpanID() || s.SpanContext.TraceID() != exec.SpanContext.TraceID() {
			t.Fatalf("attempt %d is not a child of the execution span: parent %s", i, s.Parent.SpanID())
		}
		if attr(s.Attributes, otelcloacina.AttrTask).AsString() != w.task || attr(s.Attributes, otelcloacina.AttrAttempt).AsInt64() != w.attempt ||
			attr(s.Attributes, otelcloacina.AttrOutcome).AsString() != w.outcome || attr(s.Attributes, otelcloacina.AttrWorkflow).AsString() != "etl" ||
			attr(s.Attributes, otelcloacina.AttrWorkflowVersion).AsString() != res.WorkflowVersion {
			t.Fatalf("attempt span %d attributes %v, want task %s attempt %d outcome %s", i, s.Attributes, w.task, w.attempt, w.outcome)
		}
	}
	failed := attempts[0]
	if failed.Status.Code != codes.Error || len(failed.Events) != 1 || failed.Events[0].Name != "exception" {
		t.Fatalf("failed attempt: status %+v, events %+v; want an error and the exception recorded", failed.Status, failed.Events)
	}
}

// TestTraceContinuesInAnotherRunner: the trace context travels in the
// execution's headers through the database. A runner with a tracer of its
// own (as in another process) makes its attempt spans children of the
// span whose context the submission carried.
func TestTraceContinuesInAnotherRunner(t *testing.T) {
	submitter, worker := newTelemetry(t), newTelemetry(t)
	path := filepath.Join(t.TempDir(), "shared.db")
	r := runnerWith(t, worker.mw, true, path, etl())
	// The submitter's side: an execution span's context in headers.
	headers := map[string]string{}
	ended := submitter.mw.SubmitHook(context.Background(), &runtime.SubmitInfo{ExecutionID: "x", WorkflowName: "etl", Headers: headers})
	if headers["traceparent"] == "" {
		t.Fatalf("headers after the submit hook = %v, want a traceparent", headers)
	}
	exec, err := r.ExecuteAsync(context.Background(), "etl", nil, runtime.WithHeaders(headers))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	ended(&runtime.ExecutionSummary{ID: "x", WorkflowName: "etl", Status: runtime.PipelineStatusCompleted}, nil)
	parent := submitter.spans.GetSpans()[0].SpanContext
	n := 0
	for _, s := range worker.spans.GetSpans() {
		if s.Parent.SpanID() != parent.SpanID() || s.SpanContext.TraceID() != parent.TraceID() {
			t.Fatalf("worker span %s: parent %s in trace %s, want the submitter's span %s in %s",
				s.Name, s.Parent.SpanID(), s.SpanContext.TraceID(), parent.SpanID(), parent.TraceID())
		}
		n++
	}
	if n != 3 {
		t.Fatalf("worker made %d spans, want 3 attempts", n)
	}
}

// TestMetrics: attempts by outcome, their durations, queue latency, tasks
// in flight back to zero, and the execution by final status.
func TestMetrics(t *testing.T) {
	tel := newTelemetry(t)
	boom := runtime.NewWorkflow("boom").Add(&runtime.Task{ID: "explode", Retry: retryOnce(),
		Func: func(context.Context, *runtime.Context) error { panic("kaboom") }}).MustBuild()
	r := runner(t, tel.mw, filepath.Join(t.TempDir(), "m.db"), etl(), boom)
	if _, err := r.Execute(context.Background(), "etl", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Execute(context.Background(), "boom", nil); err == nil {
		t.Fatal("boom completed")
	}
	if err := r.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := tel.metrics(t)
	counts := map[string]int64{}
	for _, dp := range m["cloacina.attempts"].(metricdata.Sum[int64]).DataPoints {
		wf, _ := dp.Attributes.Value(otelcloacina.AttrWorkflow)
		task, _ := dp.Attributes.Value(otelcloacina.AttrTask)
		out, _ := dp.Attributes.Value(otelcloacina.AttrOutcome)
		if _, ok := dp.Attributes.Value(otelcloacina.AttrExecutionID); ok {
			t.Fatalf("attempt metric with an execution id: %v", dp.Attributes)
		}
		counts[wf.AsString()+"/"+task.AsString()+" "+out.AsString()] += dp.Value
	}
	want := map[string]int64{"etl/extract failed": 1, "etl/extract succeeded": 1, "etl/load succeeded": 1, "boom/explode panicked": 2}
	for k, v := range want {
		if counts[k] != v {
			t.Fatalf("attempts = %v, want %v", counts, want)
		}
	}
	var durations uint64
	for _, dp := range m["cloacina.attempt.duration"].(metricdata.Histogram[float64]).DataPoints {
		durations += dp.Count
	}
	var latencies uint64
	for _, dp := range m["cloacina.queue.latency"].(metricdata.Histogram[float64]).DataPoints {
		latencies += dp.Count
		if v, ok := dp.Min.Value(); ok && v < 0 {
			t.Fatalf("negative queue latency %v", v)
		}
	}
	if durations != 5 || latencies != 5 {
		t.Fatalf("attempt durations %d, queue latencies %d; want one per attempt (5)", durations, latencies)
	}
	for _, dp := range m["cloacina.tasks.in_flight"].(metricdata.Sum[int64]).DataPoints {
		if dp.Value != 0 {
			t.Fatalf("tasks in flight after the runs = %d (%v)", dp.Value, dp.Attributes)
		}
	}
	ends := map[string]int64{}
	for _, dp := range m["cloacina.executions"].(metricdata.Sum[int64]).DataPoints {
		wf, _ := dp.Attributes.Value(otelcloacina.AttrWorkflow)
		st, _ := dp.Attributes.Value(otelcloacina.AttrStatus)
		ends[wf.AsString()+" "+st.AsString()] += dp.Value
	}
	if ends["etl completed"] != 1 || ends["boom failed"] != 1 || len(ends) != 2 {
		t.Fatalf("executions = %v, want etl completed and boom failed once each", ends)
	}
	var execDurations uint64
	for _, dp := range m["cloacina.execution.duration"].(metricdata.Histogram[float64]).DataPoints {
		execDurations += dp.Count
	}
	if execDurations != 2 {
		t.Fatalf("execution durations recorded: %d, want 2", execDurations)
	}
}

func TestOutcome(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, "succeeded"},
		{errors.New("x"), "failed"},
		{&runtime.PanicError{Value: "p"}, "panicked"},
		{&runtime.TimeoutError{After: time.Second}, "timed_out"},
		{runtime.ErrExecutionCancelled, "cancelled"},
		{context.Canceled, "cancelled"},
	} {
		if got := otelcloacina.Outcome(ctx, tc.err); got != tc.want {
			t.Errorf("Outcome(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}

// TestSubmitHookLinksACallerFromHeaders: a submission made on behalf of a
// remote caller, whose trace context came in the headers, links to it.
func TestSubmitHookLinksACallerFromHeaders(t *testing.T) {
	tel := newTelemetry(t)
	remote := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	headers := map[string]string{"traceparent": remote}
	ended := tel.mw.SubmitHook(context.Background(), &runtime.SubmitInfo{ExecutionID: "x", WorkflowName: "etl", Headers: headers})
	ended(nil, errors.New("not stored"))
	spans := tel.spans.GetSpans()
	if len(spans) != 1 || headers["traceparent"] == remote {
		t.Fatalf("spans %d, headers %v; want one span whose context replaced the caller's", len(spans), headers)
	}
	s := spans[0]
	if len(s.Links) != 1 || s.Links[0].SpanContext.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" ||
		s.Links[0].SpanContext.SpanID().String() != "00f067aa0ba902b7" {
		t.Fatalf("links %+v, want the remote caller", s.Links)
	}
	if s.Status.Code != codes.Error || s.Status.Description != "not stored" {
		t.Fatalf("status %+v, want the submission's error", s.Status)
	}
}
