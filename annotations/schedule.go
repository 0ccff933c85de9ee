package annotations

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/token"
	"strconv"
	"strings"
	"time"

	"github.com/cloacina-go/cloacina/internal/cron"
	"github.com/cloacina-go/cloacina/internal/spec"
)

// Defaults of the schedule and trigger keys.
const (
	DefaultCatchup     = spec.DefaultCatchup
	DefaultMaxCatchup  = spec.DefaultMaxCatchup
	DefaultOverlap     = spec.DefaultOverlap
	DefaultConcurrency = spec.DefaultConcurrency
	DefaultTimezone    = spec.DefaultTimezone
)

var (
	scheduleKeys = []string{"name", "workflow", "cron", "timezone", "catchup", "max_catchup", "overlap",
		"input", "start", "end", "jitter", "paused"}
	triggerKeys = []string{"name", "workflow", "poll", "timeout", "concurrency"}
)

// ScheduleKeys returns the keys //cloacina:schedule accepts.
func ScheduleKeys() []string { return append([]string(nil), scheduleKeys...) }

// TriggerKeys returns the keys //cloacina:trigger accepts.
func TriggerKeys() []string { return append([]string(nil), triggerKeys...) }

// Schedule is a //cloacina:schedule directive.
type Schedule struct {
	Pos      token.Position // of the "//cloacina:schedule" comment (first line if merged)
	Name     string         // "" when not given (the generator names it after its workflow)
	Workflow string
	Cron     string     // as written, trimmed
	Expr     *cron.Expr // Cron parsed; nil when it does not parse
	Timezone string     // IANA name; DefaultTimezone when not given
	Catchup  string     // DefaultCatchup when not given
	// MaxCatchup bounds catchup=all (DefaultMaxCatchup when not given).
	MaxCatchup int
	Overlap    string          // DefaultOverlap when not given
	Input      json.RawMessage // a compact JSON object; nil when not given
	Start, End time.Time       // zero when not given
	Jitter     time.Duration
	Paused     bool
	// Keys holds every key given, by name, with its positions.
	Keys map[string]Key
	// Canonical is the normalised directive text (see Task.Canonical).
	Canonical string
}

// Trigger is a //cloacina:trigger directive and the function it documents.
type Trigger struct {
	Pos      token.Position
	Func     *ast.FuncDecl // set by ParseFile
	FuncName string
	Name     string // the given name, or SnakeCase(FuncName)
	Workflow string
	Poll     time.Duration
	// Timeout bounds one call of the function; 0 when not given (the
	// poll interval, at most spec.DefaultTriggerTimeout).
	Timeout     time.Duration
	Concurrency string // DefaultConcurrency when not given
	Keys        map[string]Key
	Canonical   string
}

// BuildSchedule turns consecutive //cloacina:schedule lines into a
// Schedule. Every key is checked; workflow and cron are required.
func BuildSchedule(dirs ...*Directive) (*Schedule, ErrorList) {
	s := gather(VerbSchedule, dirs, scheduleKeys, nil, nil)
	sc := &Schedule{Timezone: DefaultTimezone, Catchup: DefaultCatchup, MaxCatchup: DefaultMaxCatchup, Overlap: DefaultOverlap}
	sc.Pos = firstPos(dirs)
	if a := s.args["name"]; a != nil {
		if s.value(a, false, one(checkScheduleName)) {
			sc.Name = a.Value
			s.canon["name"] = a.Value
		}
	}
	sc.Workflow = s.workflowRef(sc.Pos)
	if a := s.args["cron"]; a != nil {
		text := s.text(a)
		if e, err := cron.Parse(text); err != nil {
			s.errs.Add(a.ValuePos, "cron: %s", err)
		} else {
			sc.Cron, sc.Expr = e.String(), e
			s.canon["cron"] = strconv.Quote(e.String())
		}
	} else if !s.incomplete {
		s.errs.Add(sc.Pos, "missing required key \"cron\" for %sschedule; e.g. cron=\"0 2 * * *\" or cron=@daily", Prefix)
	}
	if a := s.args["timezone"]; a != nil {
		text := s.text(a)
		if _, err := time.LoadLocation(text); err != nil || text == "" || text == "Local" {
			s.errs.Add(a.ValuePos, "timezone: %q is not an IANA time zone name%s", text, zoneHint(text))
		} else {
			sc.Timezone = text
			s.canon["timezone"] = strconv.Quote(text)
		}
	}
	s.enumKey("catchup", spec.CatchupPolicies(), "skip, latest or all", &sc.Catchup)
	s.enumKey("overlap", spec.OverlapPolicies(), "skip, allow or buffer", &sc.Overlap)
	if a := s.args["max_catchup"]; a != nil {
		if n, ok := s.wholeNumber(a, 1, ""); ok {
			sc.MaxCatchup = n
			if c := s.args["catchup"]; c == nil || c.Value != spec.CatchupAll {
				s.errs.Add(a.Pos, "max_catchup applies only to catchup=all")
			}
		}
	}
	if a := s.args["input"]; a != nil {
		text := s.text(a)
		if raw, msg := jsonObject(text); msg != "" {
			s.errs.Add(a.ValuePos, "input: %s", msg)
		} else {
			sc.Input = raw
			s.canon["input"] = strconv.Quote(string(raw))
		}
	}
	startOK := s.timeKey("start", &sc.Start)
	endOK := s.timeKey("end", &sc.End)
	if startOK && endOK && !sc.Start.IsZero() && !sc.End.IsZero() && !sc.End.After(sc.Start) {
		s.errs.Add(s.args["end"].ValuePos, "end (%s) must be after start (%s)", s.args["end"].Value, s.args["start"].Value)
	}
	if a := s.args["jitter"]; a != nil {
		if d, ok := s.durationValue(a, false); ok {
			sc.Jitter = d
		}
	}
	if a := s.args["paused"]; a != nil {
		if b, ok := s.boolValue(a); ok {
			sc.Paused = b
		}
	}
	sc.Keys = s.keys()
	sc.Canonical = s.canonical()
	return sc, s.errs
}

// BuildTrigger turns the //cloacina:trigger lines that document one
// function into a Trigger. funcName names the function (the default name);
// Func is left nil (ParseFile sets it).
func BuildTrigger(funcName string, dirs ...*Directive) (*Trigger, ErrorList) {
	s := gather(VerbTrigger, dirs, triggerKeys, nil, nil)
	t := &Trigger{FuncName: funcName, Concurrency: DefaultConcurrency}
	t.Pos = firstPos(dirs)
	if funcName != "" {
		t.Name = SnakeCase(funcName)
	}
	if a := s.args["name"]; a != nil {
		if s.value(a, false, one(checkScheduleName)) {
			t.Name = a.Value
			s.canon["name"] = a.Value
		}
	}
	t.Workflow = s.workflowRef(t.Pos)
	if a := s.args["poll"]; a != nil {
		if d, ok := s.durationValue(a, true); ok {
			t.Poll = d
		}
	} else if !s.incomplete {
		s.errs.Add(t.Pos, "missing required key \"poll\" for %strigger; e.g. poll=30s", Prefix)
	}
	if a := s.args["timeout"]; a != nil {
		if d, ok := s.durationValue(a, true); ok {
			t.Timeout = d
		}
	}
	s.enumKey("concurrency", spec.ConcurrencyPolicies(), "forbid or allow", &t.Concurrency)
	t.Keys = s.keys()
	t.Canonical = s.canonical()
	return t, s.errs
}

// workflowRef reads the required workflow= key of a schedule or trigger.
func (s *keySet) workflowRef(pos token.Position) string {
	a := s.args["workflow"]
	if a == nil {
		if !s.incomplete {
			s.errs.Add(pos, "missing required key \"workflow\" for %s%s", Prefix, s.verb)
		}
		return ""
	}
	if s.value(a, false, one(checkWorkflowName)) {
		s.canon["workflow"] = a.Value
		return a.Value
	}
	return ""
}

func (s *keySet) enumKey(name string, values []string, what string, out *string) {
	if a := s.args[name]; a != nil {
		if s.value(a, false, enum(values, what)) {
			*out = a.Value
			s.canon[name] = a.Value
		}
	}
}

// timeKey reads an RFC 3339 time; it reports whether the key is absent or
// valid.
func (s *keySet) timeKey(name string, out *time.Time) bool {
	a := s.args[name]
	if a == nil {
		return true
	}
	text := s.text(a)
	t, err := time.Parse(time.RFC3339, text)
	if err != nil {
		s.errs.Add(a.ValuePos, "%s: %q is not an RFC 3339 time (e.g. 2026-01-31T02:00:00Z or 2026-01-31T02:00:00+01:00)", name, text)
		return false
	}
	*out = t
	s.canon[name] = strconv.Quote(t.Format(time.RFC3339Nano))
	return true
}

// checkScheduleName returns "" when s is a valid schedule or trigger name.
func checkScheduleName(s string) string {
	if spec.ValidWorkflowName(s) {
		return ""
	}
	return fmt.Sprintf("%q is not a valid name; use letters, digits, \"_\" and \"-\", starting with a letter", s)
}

// jsonObject checks that text is one JSON object and returns it compacted,
// or a message saying what is wrong.
func jsonObject(text string) (json.RawMessage, string) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Sprintf("not valid JSON: %s", err)
	}
	if dec.More() {
		return nil, "more than one JSON value; write one object such as {\"mode\":\"full\"}"
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, fmt.Sprintf("must be a JSON object such as {\"mode\":\"full\"}, not %s", spec.JSONKind(v))
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(text)); err != nil {
		return nil, fmt.Sprintf("not valid JSON: %s", err)
	}
	return buf.Bytes(), ""
}

// zoneHint suggests the spelling of a time zone name that differs only in
// case, spaces or separators.
func zoneHint(name string) string {
	parts := strings.Split(strings.ReplaceAll(strings.TrimSpace(name), " ", "_"), "/")
	for i, p := range parts {
		words := strings.Split(strings.ToLower(p), "_")
		for j, w := range words {
			if w != "" {
				words[j] = strings.ToUpper(w[:1]) + w[1:]
			}
		}
		parts[i] = strings.Join(words, "_")
	}
	if c := strings.Join(parts, "/"); c != name {
		if _, err := time.LoadLocation(c); err == nil {
			return fmt.Sprintf("; did you mean %q?", c)
		}
	}
	if up := strings.ToUpper(name); up == "UTC" || up == "GMT" {
		return fmt.Sprintf("; did you mean %q?", up)
	}
	return " (e.g. UTC, Europe/Berlin, America/New_York)"
}
