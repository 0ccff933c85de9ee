package spec

import "time"

// Catch-up policies: what a schedule does with ticks missed while no
// runner was up.
const (
	CatchupSkip   = "skip"   // fire none of them
	CatchupLatest = "latest" // fire the most recent one, once
	CatchupAll    = "all"    // fire each in order, at most max_catchup
)

// Overlap policies: what a tick does while the schedule's previous
// execution is unfinished.
const (
	OverlapSkip   = "skip"   // record the tick as skipped
	OverlapAllow  = "allow"  // start an execution regardless
	OverlapBuffer = "buffer" // start one execution once the previous ends
)

// Trigger concurrency: whether a trigger may start an execution while one
// it started with the same input is unfinished.
const (
	ConcurrencyForbid = "forbid"
	ConcurrencyAllow  = "allow"
)

// Schedule and trigger defaults.
const (
	DefaultCatchup     = CatchupLatest
	DefaultMaxCatchup  = 100
	DefaultOverlap     = OverlapSkip
	DefaultConcurrency = ConcurrencyForbid
	DefaultTimezone    = "UTC"
)

// DefaultTriggerTimeout is the limit on one poll of a trigger that sets no
// timeout: its poll interval, at most this.
const DefaultTriggerTimeout = time.Minute

// CatchupPolicies lists the catch-up policies.
func CatchupPolicies() []string { return []string{CatchupSkip, CatchupLatest, CatchupAll} }

// OverlapPolicies lists the overlap policies.
func OverlapPolicies() []string { return []string{OverlapSkip, OverlapAllow, OverlapBuffer} }

// ConcurrencyPolicies lists the trigger concurrency policies.
func ConcurrencyPolicies() []string { return []string{ConcurrencyForbid, ConcurrencyAllow} }

// Keys of the context an execution started by a schedule or a trigger
// gets, besides the schedule's input.
const (
	// InputScheduledTime is the tick's time, RFC 3339 in the schedule's
	// zone.
	InputScheduledTime = "cloacina_scheduled_time"
	// InputSchedule is the name of the schedule (or trigger) that started
	// the execution.
	InputSchedule = "cloacina_schedule"
	// InputFireKind says how the execution was started: "scheduled",
	// "catchup", "backfill", "manual" or "trigger".
	InputFireKind = "cloacina_fire_kind"
)

// JSONKind names the kind of a value decoded from JSON, for messages: "an
// object", "an array", "a string", "a number", "a boolean" or "null".
func JSONKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	}
	return "a number"
}
