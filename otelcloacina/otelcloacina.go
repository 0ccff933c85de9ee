// Package otelcloacina traces and measures Cloacina workflows with
// OpenTelemetry. It lives in a module of its own, so that a program using
// Cloacina without OpenTelemetry does not depend on it.
//
//	mw, err := otelcloacina.New(&otelcloacina.Config{TracerProvider: tp, MeterProvider: mp})
//	if err != nil { ... }
//	cfg := &runtime.Config{DatabaseURL: "sqlite://cloacina.db"}
//	mw.Install(cfg)
//	runner, err := runtime.NewRunner(ctx, cfg)
//
// # Traces
//
// Each execution is one span, "cloacina.execution/<workflow>", started
// when it is submitted and ended when the submitting runner learns that it
// ended, with its final status. It is the root of a trace of its own,
// linked to the submitter's span (or, with Config.ChildOfCaller, a child
// of it). Its span context is stored with the execution as a header
// (W3C traceparent, by the configured propagator), so every attempt of
// every task, run by whichever runner in whichever process claims it, is
// a child span "cloacina.attempt/<workflow>/<task>" of the execution's
// span, and the task function's ctx carries the attempt's span for spans
// of its own. Attempt spans carry cloacina.workflow,
// cloacina.workflow.version, cloacina.task, cloacina.attempt,
// cloacina.execution.id and cloacina.outcome; a failed attempt records its
// error and sets the span's status.
//
// The execution span lives in the process that submitted the execution:
// if that process stops before the execution ends, the span is ended at
// its runner's Shutdown with the status the execution had then
// (cloacina.execution.status, such as "running").
//
// An execution retried in place (runtime.RetryModeFailed) keeps its
// headers, so the attempts of the retry are children of the execution's
// span too, although that span ended, and was counted, with the first end;
// the retry adds attempt spans and attempt metrics, not a second
// execution span. A retry of the whole execution (runtime.RetryModeAll)
// is a new execution with a span of its own.
//
// # Metrics
//
// All attributes are of low cardinality (workflow and task names,
// outcomes, statuses; never execution ids):
//
//   - cloacina.attempts ({attempt}): attempts by cloacina.workflow,
//     cloacina.task and cloacina.outcome.
//   - cloacina.attempt.duration (s): how long attempts ran, by the same.
//   - cloacina.queue.latency (s): from a task becoming ready to its
//     attempt starting, by workflow and task. Ready times are the
//     database's clock, so clock skew between hosts shows here.
//   - cloacina.tasks.in_flight ({task}): attempts running in this
//     process, by workflow.
//   - cloacina.executions ({execution}) and cloacina.execution.duration
//     (s, from submission to end): executions by workflow and final
//     cloacina.execution.status, counted by the process that submitted
//     them when it learns of their end.
//
// Outcomes are "succeeded", "failed", "panicked", "timed_out" and
// "cancelled" (the execution ended, or the runner shut down, under the
// attempt): what became of the attempt, not of the task, which a failed
// attempt's retry may still complete.
package otelcloacina

import (
	"context"
	"errors"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/cloacina-go/cloacina/runtime"
)

// name is the instrumentation scope: the package's import path, as
// OpenTelemetry recommends.
const name = "github.com/cloacina-go/cloacina/otelcloacina"

// prefix starts the name of every span and metric.
const prefix = "cloacina."

// Attribute keys.
const (
	AttrWorkflow        = attribute.Key("cloacina.workflow")
	AttrWorkflowVersion = attribute.Key("cloacina.workflow.version")
	AttrTask            = attribute.Key("cloacina.task")
	AttrAttempt         = attribute.Key("cloacina.attempt")
	AttrExecutionID     = attribute.Key("cloacina.execution.id")
	AttrOutcome         = attribute.Key("cloacina.outcome")
	AttrStatus          = attribute.Key("cloacina.execution.status")
)

// Config configures the middleware. A nil *Config, and every zero field,
// means the default.
type Config struct {
	// TracerProvider makes the spans (default otel.GetTracerProvider()).
	TracerProvider trace.TracerProvider
	// MeterProvider makes the metrics (default otel.GetMeterProvider()).
	MeterProvider metric.MeterProvider
	// Propagator writes the execution's span context into its headers
	// and reads it back in the runner of each attempt (default W3C trace
	// context, propagation.TraceContext{}). Every runner of a database
	// must use the same one.
	Propagator propagation.TextMapPropagator
	// ChildOfCaller makes each execution's span a child of the span of
	// the context it was submitted with, in the submitter's trace. By
	// default it starts a trace of its own, linked to that span, so a
	// long-running execution does not stretch the submitter's trace (the
	// usual choice for work that outlives its request).
	ChildOfCaller bool
}

// Middleware holds the tracer and instruments. Install it in a runner's
// Config, or add its hooks one by one.
type Middleware struct {
	cfg        Config
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator

	attempts          metric.Int64Counter
	attemptDuration   metric.Float64Histogram
	queueLatency      metric.Float64Histogram
	inFlight          metric.Int64UpDownCounter
	executions        metric.Int64Counter
	executionDuration metric.Float64Histogram
}

// New returns a middleware. cfg may be nil. It fails only if the meter
// provider refuses an instrument.
func New(cfg *Config) (*Middleware, error) {
	m := &Middleware{}
	if cfg != nil {
		m.cfg = *cfg
	}
	tp := m.cfg.TracerProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	mp := m.cfg.MeterProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m.propagator = m.cfg.Propagator
	if m.propagator == nil {
		m.propagator = propagation.TraceContext{}
	}
	m.tracer = tp.Tracer(name)
	meter := mp.Meter(name)
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	var err error
	m.attempts, err = meter.Int64Counter(prefix+"attempts", metric.WithUnit("{attempt}"),
		metric.WithDescription("Task attempts, by workflow, task and outcome"))
	add(err)
	m.attemptDuration, err = meter.Float64Histogram(prefix+"attempt.duration", metric.WithUnit("s"),
		metric.WithDescription("How long task attempts ran"))
	add(err)
	m.queueLatency, err = meter.Float64Histogram(prefix+"queue.latency", metric.WithUnit("s"),
		metric.WithDescription("Time from a task becoming ready to its attempt starting"))
	add(err)
	m.inFlight, err = meter.Int64UpDownCounter(prefix+"tasks.in_flight", metric.WithUnit("{task}"),
		metric.WithDescription("Task attempts running in this process"))
	add(err)
	m.executions, err = meter.Int64Counter(prefix+"executions", metric.WithUnit("{execution}"),
		metric.WithDescription("Executions that ended, by workflow and final status"))
	add(err)
	m.executionDuration, err = meter.Float64Histogram(prefix+"execution.duration", metric.WithUnit("s"),
		metric.WithDescription("Time from an execution's submission to its end"))
	add(err)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return m, nil
}

// Install adds the middleware's hooks to a runner's config: its
// SubmitHook first among the SubmitHooks, its AttemptHook first (so
// outermost) among the AttemptHooks, so that the spans of other hooks nest
// inside the attempt's.
func (m *Middleware) Install(cfg *runtime.Config) {
	cfg.SubmitHooks = append([]runtime.SubmitHook{m.SubmitHook}, cfg.SubmitHooks...)
	cfg.AttemptHooks = append([]runtime.AttemptHook{m.AttemptHook}, cfg.AttemptHooks...)
}

// SubmitHook starts the execution's span and stores its context in the
// execution's headers; the span ends, and the execution metrics are
// recorded, when the runner reports the end. The caller is the span of
// ctx or, when ctx has none, the trace context the submission's headers
// already carry (a submission made on behalf of a remote caller). See
// runtime.SubmitHook.
func (m *Middleware) SubmitHook(ctx context.Context, sub *runtime.SubmitInfo) func(*runtime.ExecutionSummary, error) {
	opts := []trace.SpanStartOption{
		trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(AttrWorkflow.String(sub.WorkflowName), AttrWorkflowVersion.String(sub.WorkflowVersion),
			AttrExecutionID.String(sub.ExecutionID)),
	}
	parent := ctx
	if !trace.SpanContextFromContext(ctx).IsValid() {
		// A submission on behalf of a caller elsewhere may carry its
		// trace context in the headers given to it.
		parent = m.propagator.Extract(ctx, propagation.MapCarrier(sub.Headers))
		ctx = parent
	}
	if !m.cfg.ChildOfCaller {
		opts = append(opts, trace.WithNewRoot())
		if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
			opts = append(opts, trace.WithLinks(trace.Link{SpanContext: sc}))
		}
	}
	spanCtx, span := m.tracer.Start(parent, prefix+"execution/"+sub.WorkflowName, opts...)
	m.propagator.Inject(spanCtx, propagation.MapCarrier(sub.Headers))
	begin := time.Now()
	return func(ex *runtime.ExecutionSummary, err error) {
		defer span.End()
		if ex == nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
			return
		}
		status := strings.ToLower(ex.Status.String())
		span.SetAttributes(AttrStatus.String(status))
		if err != nil { // the runner shut down first: the execution goes on
			return
		}
		switch ex.Status {
		case runtime.PipelineStatusCompleted:
			span.SetStatus(codes.Ok, "")
		default:
			msg := ex.Error
			if msg == "" {
				msg = status
			}
			span.SetStatus(codes.Error, msg)
		}
		attrs := metric.WithAttributes(AttrWorkflow.String(ex.WorkflowName), AttrStatus.String(status))
		bg := context.Background()
		m.executions.Add(bg, 1, attrs)
		m.executionDuration.Record(bg, time.Since(begin).Seconds(), attrs)
	}
}

// AttemptHook runs an attempt inside its span, a child of the execution's
// span carried in the execution's headers, and records the attempt
// metrics. See runtime.AttemptHook.
func (m *Middleware) AttemptHook(ctx context.Context, a runtime.TaskMeta, run func(context.Context) error) error {
	begin := time.Now()
	if len(a.Headers) > 0 {
		ctx = m.propagator.Extract(ctx, propagation.MapCarrier(a.Headers))
	}
	ctx, span := m.tracer.Start(ctx, prefix+"attempt/"+a.WorkflowName+"/"+a.TaskID,
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(AttrWorkflow.String(a.WorkflowName), AttrWorkflowVersion.String(a.WorkflowVersion),
			AttrTask.String(a.TaskID), AttrAttempt.Int(a.Attempt), AttrExecutionID.String(a.ExecutionID)))
	wfTask := []attribute.KeyValue{AttrWorkflow.String(a.WorkflowName), AttrTask.String(a.TaskID)}
	if !a.ReadyAt.IsZero() {
		m.queueLatency.Record(ctx, max(begin.Sub(a.ReadyAt), 0).Seconds(), metric.WithAttributes(wfTask...))
	}
	flight := metric.WithAttributes(AttrWorkflow.String(a.WorkflowName))
	m.inFlight.Add(ctx, 1, flight)

	var err error
	panicked := true
	defer func() {
		outcome := "panicked"
		if !panicked {
			outcome = Outcome(ctx, err)
		}
		span.SetAttributes(AttrOutcome.String(outcome))
		switch {
		case panicked:
			span.SetStatus(codes.Error, "panic")
		case err != nil:
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		default:
			span.SetStatus(codes.Ok, "")
		}
		span.End()
		m.inFlight.Add(ctx, -1, flight)
		attrs := metric.WithAttributes(append(wfTask, AttrOutcome.String(outcome))...)
		m.attempts.Add(ctx, 1, attrs)
		m.attemptDuration.Record(ctx, time.Since(begin).Seconds(), attrs)
	}()
	err = run(ctx)
	panicked = false
	return err
}

// Outcome names what became of an attempt that returned err under ctx:
// "succeeded", "panicked" (the runner turns a task's panic into a
// *runtime.PanicError), "timed_out" (its timeout, or its workflow's),
// "cancelled" (its execution was cancelled, or the runner shut down), or
// "failed".
func Outcome(ctx context.Context, err error) string {
	var pe *runtime.PanicError
	switch {
	case err == nil:
		return "succeeded"
	case errors.As(err, &pe):
		return "panicked"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, runtime.ErrWorkflowTimeout),
		errors.Is(context.Cause(ctx), runtime.ErrWorkflowTimeout):
		return "timed_out"
	case errors.Is(err, context.Canceled), errors.Is(err, runtime.ErrExecutionCancelled):
		return "cancelled"
	}
	return "failed"
}
