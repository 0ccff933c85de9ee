package annotations

import (
	"fmt"
	"go/ast"
	"go/token"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cloacina-go/cloacina/internal/spec"
	"github.com/cloacina-go/cloacina/internal/suggest"
)

// Defaults of the task and workflow keys (internal/spec states them once,
// for the generator and the runtime alike).
const (
	DefaultTenant        = spec.AnyTenant // "": without tenant=, a workflow runs in every tenant
	DefaultRetryAttempts = spec.DefaultRetryAttempts
	DefaultRetryBackoff  = spec.DefaultRetryBackoff
	DefaultRetryDelay    = spec.DefaultRetryDelay
	DefaultRetryMaxDelay = spec.DefaultRetryMaxDelay
	DefaultRetryJitter   = spec.DefaultRetryJitter
)

// Values of retry_backoff.
const (
	BackoffFixed       = spec.BackoffFixed
	BackoffLinear      = spec.BackoffLinear
	BackoffExponential = spec.BackoffExponential
)

var backoffs = spec.Backoffs()

// Kinds of RetryCondition.
const (
	ConditionAll       = spec.ConditionAll
	ConditionNever     = spec.ConditionNever
	ConditionTransient = spec.ConditionTransient
	ConditionPatterns  = spec.ConditionPatterns
)

var conditions = spec.Conditions()

// Keys of //cloacina:task, in documentation order, and their aliases.
var (
	taskKeys = []string{
		"id", "deps", "workflow",
		"retry_attempts", "retry_backoff", "retry_delay", "retry_max_delay", "retry_jitter", "retry_condition",
		"timeout", "trigger_rules", "on_success", "on_failure",
		"reads", "writes",
	}
	taskAliases  = map[string]string{"dependencies": "deps"}
	workflowKeys = []string{"name", "description", "author", "tenant", "tasks", "inputs"}
)

// TaskKeys returns the keys //cloacina:task accepts (without aliases).
func TaskKeys() []string { return append([]string(nil), taskKeys...) }

// WorkflowKeys returns the keys //cloacina:workflow accepts.
func WorkflowKeys() []string { return append([]string(nil), workflowKeys...) }

// File holds the directives of one Go file, in source order.
type File struct {
	Workflows []*Workflow
	Tasks     []*Task
	Schedules []*Schedule
	Triggers  []*Trigger
}

// Workflow is a //cloacina:workflow directive.
type Workflow struct {
	Pos         token.Position // of the "//cloacina:workflow" comment (first line if merged)
	Name        string
	Description string
	Author      string
	Tenant      string   // DefaultTenant ("", any tenant) when not given
	Tasks       []string // the explicit task list; nil when not given
	HasTasks    bool     // tasks= was given
	// Inputs are the context keys the workflow's input may hold (inputs=),
	// in the order given; nil when not given. See package doc.
	Inputs []ContextKey
	// HasInputs reports that inputs= was given and valid.
	HasInputs bool
	// Keys holds every key given, by name, with its positions.
	Keys map[string]Key
	// Canonical is the normalised directive text: the given keys sorted,
	// as key=value with canonical values, joined by spaces.
	Canonical string
}

// Task is a //cloacina:task directive and the function it documents.
type Task struct {
	Pos      token.Position // of the "//cloacina:task" comment (first line if merged)
	Func     *ast.FuncDecl  // the top-level function the directive documents (set by ParseFile)
	FuncName string
	ID       string   // the given id, or SnakeCase(FuncName)
	Deps     []string // in the order given; nil when not given
	Workflow string   // "" when not given

	RetryAttempts  int            // DefaultRetryAttempts when not given; at least 1
	RetryBackoff   string         // BackoffFixed, BackoffLinear or BackoffExponential (the default)
	RetryDelay     time.Duration  // DefaultRetryDelay when not given; >= 0
	RetryMaxDelay  time.Duration  // DefaultRetryMaxDelay when not given; >= RetryDelay
	RetryJitter    bool           // DefaultRetryJitter when not given
	RetryCondition RetryCondition // {Kind: ConditionAll} when not given
	Timeout        time.Duration  // 0 when not given (the runner's default); > 0 when given
	Trigger        *Rule          // nil when not given
	OnSuccess      string         // name of a package function, "" when not given
	OnFailure      string         // name of a package function, "" when not given
	// Reads and Writes are the context keys the task declares it reads and
	// writes in ways the generator cannot see (reads=, writes=); nil when
	// not given. See package doc.
	Reads, Writes []ContextKey

	// Keys holds every key given, by canonical name ("deps" even when
	// written "dependencies"), with its positions.
	Keys map[string]Key
	// Canonical is the normalised directive text: the given keys sorted,
	// as key=value with canonical values (durations as time.Duration.String,
	// strings quoted with strconv.Quote, rules as Rule.String), joined by
	// spaces. It is the same for directives that differ only in spacing,
	// line splitting, key order or key aliases, and differs when any value
	// differs. Defaults are not filled in: only given keys appear.
	Canonical string
}

// RetryCondition says which errors are retried.
type RetryCondition struct {
	// Kind is ConditionAll, ConditionNever, ConditionTransient or
	// ConditionPatterns.
	Kind string
	// Patterns are the error substrings of ConditionPatterns, in the order given.
	Patterns []string
}

// firstPos is the position of the first directive of a group.
func firstPos(dirs []*Directive) token.Position {
	for _, d := range dirs {
		if d != nil {
			return d.Pos
		}
	}
	return token.Position{}
}

// keySet gathers the arguments of one or more directives of one verb.
type keySet struct {
	verb       string
	args       map[string]*Arg   // by canonical name
	canon      map[string]string // canonical value text, by canonical name
	incomplete bool
	errs       ErrorList
}

func gather(verb string, dirs []*Directive, keys, other []string, aliases map[string]string) *keySet {
	s := &keySet{verb: verb, args: map[string]*Arg{}, canon: map[string]string{}}
	for _, d := range dirs {
		if d == nil {
			continue
		}
		if d.Verb != verb {
			s.errs.Add(d.Pos, "%s%s directive where %s%s was expected", Prefix, d.Verb, Prefix, verb)
			continue
		}
		if d.Incomplete {
			s.incomplete = true
		}
		for i := range d.Args {
			a := &d.Args[i]
			name := a.Name
			if c, ok := aliases[name]; ok {
				name = c
			}
			if !contains(keys, name) {
				s.errs.Add(a.Pos, "%s", unknownKeyMsg(verb, a.Name, keys, other, aliases))
				s.errs[len(s.errs)-1].Fix = keyFix(a.Key, keys, aliases)
				continue
			}
			if prev, ok := s.args[name]; ok {
				msg := fmt.Sprintf("duplicate key %q (first given at %s)", a.Name, prev.Pos)
				if prev.Name != a.Name {
					msg = fmt.Sprintf("duplicate key %q (first given as %q at %s)", a.Name, prev.Name, prev.Pos)
				}
				if verb == VerbWorkflow && name == "name" && prev.Pos.Line != a.Pos.Line {
					msg += "; consecutive " + Prefix + "workflow lines form one directive, so separate two workflows with a blank line"
				}
				s.errs.Add(a.Pos, "%s", msg)
				continue
			}
			s.args[name] = a
		}
	}
	return s
}

// keyFix replaces a misspelt key by the key or alias it resembles most,
// the one unknownKeyMsg suggests; nil when it resembles none.
func keyFix(k Key, keys []string, aliases map[string]string) *Fix {
	c := suggest.Closest(k.Name, keyCandidates(keys, aliases))
	if len(c) == 0 {
		return nil
	}
	end := k.Pos
	end.Offset += len(k.Name)
	end.Column += len(k.Name)
	return &Fix{Message: fmt.Sprintf("replace %q with %q", k.Name, c[0]), Pos: k.Pos, End: end, NewText: c[0]}
}

// keyCandidates are the names a key may be spelt as: the keys and the
// aliases.
func keyCandidates(keys []string, aliases map[string]string) []string {
	cands := append([]string(nil), keys...)
	for a := range aliases {
		cands = append(cands, a)
	}
	return cands
}

func unknownKeyMsg(verb, name string, keys, other []string, aliases map[string]string) string {
	msg := fmt.Sprintf("unknown key %q for %s%s", name, Prefix, verb)
	if hint := suggest.DidYouMean(name, keyCandidates(keys, aliases)); hint != "" {
		return msg + hint
	}
	if contains(other, name) {
		otherVerb := VerbWorkflow
		if verb == VerbWorkflow {
			otherVerb = VerbTask
		}
		msg += fmt.Sprintf(" (%s is a %s%s key)", name, Prefix, otherVerb)
	}
	return msg + "; valid keys: " + strings.Join(keys, ", ")
}

// keys returns the given keys by canonical name.
func (s *keySet) keys() map[string]Key {
	m := make(map[string]Key, len(s.args))
	for name, a := range s.args {
		k := a.Key
		k.Name = name
		m[name] = k
	}
	return m
}

// canonical renders the given keys sorted, with canonical values where the
// value was valid and the raw text otherwise.
func (s *keySet) canonical() string {
	names := make([]string, 0, len(s.args))
	for name := range s.args {
		names = append(names, name)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, name := range names {
		v, ok := s.canon[name]
		if !ok {
			v = s.args[name].Raw
		}
		parts[i] = name + "=" + v
	}
	return strings.Join(parts, " ")
}

// report is how a value check reports a problem at a byte offset in the value.
type report func(off int, format string, args ...any)

// value checks a non-text value with check. Quoted values are checked too,
// for a precise message, but are always an error; parenthesised values are
// an error unless expr. It returns whether the value is usable.
func (s *keySet) value(a *Arg, expr bool, check func(v string, rep report)) bool {
	if a.Kind == Expr && !expr {
		s.errs.Add(at(a.ValuePos, strings.IndexByte(a.Raw, '(')),
			"%s: unexpected \"(\" in value; parentheses are only allowed in trigger_rules", a.Name)
		return false
	}
	bad := false
	check(a.Value, func(off int, format string, args ...any) {
		bad = true
		s.errs.Add(a.posAt(off), "%s: %s", a.Name, fmt.Sprintf(format, args...))
	})
	if !bad && a.Kind == Quoted {
		s.errs.Add(a.ValuePos, "%s: write %s=%s without quotes", a.Name, a.Name, a.Value)
		return false
	}
	return !bad
}

// wholeNumber reads a whole number of at least least; why is appended to
// the message when it is less.
func (s *keySet) wholeNumber(a *Arg, least int, why string) (int, bool) {
	var n int
	ok := s.value(a, false, func(v string, rep report) {
		digits := strings.TrimPrefix(v, "-")
		if digits == "" || strings.Trim(digits, "0123456789") != "" {
			rep(0, "%q is not a whole number", v)
			return
		}
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			rep(0, "%s is too large", v)
		} else if n < least {
			rep(0, "must be at least %d%s, got %d", least, why, n)
		}
	})
	if ok {
		s.canon[a.Name] = strconv.Itoa(n)
	}
	return n, ok
}

func (s *keySet) durationValue(a *Arg, positive bool) (time.Duration, bool) {
	var d time.Duration
	ok := s.value(a, false, func(v string, rep report) {
		var msg string
		if d, msg = parseDuration(v); msg != "" {
			rep(0, "%s", msg)
		} else if positive && d <= 0 {
			rep(0, "must be positive, got %s", v)
		} else if d < 0 {
			rep(0, "must not be negative, got %s", v)
		}
	})
	if ok {
		s.canon[a.Name] = d.String()
	}
	return d, ok
}

func (s *keySet) boolValue(a *Arg) (bool, bool) {
	ok := s.value(a, false, func(v string, rep report) {
		if v != "true" && v != "false" {
			rep(0, "%q is not true or false", v)
		}
	})
	if ok {
		s.canon[a.Name] = a.Value
	}
	return a.Value == "true", ok
}

// posAt returns the position of byte off of a.Value. Inside a quoted
// string that holds escapes, where offsets in the value and in the source
// differ, it returns the position of the opening quote.
func (a *Arg) posAt(off int) token.Position {
	switch {
	case a.Kind != Quoted:
		return at(a.ValuePos, off)
	case len(a.Raw) >= 2 && a.Raw[1:len(a.Raw)-1] == a.Value:
		return at(a.ValuePos, 1+off)
	}
	return a.ValuePos
}

// text returns a free-text value, a bare word or a quoted string, or ""
// after reporting a parenthesised one.
func (s *keySet) text(a *Arg) string {
	if a.Kind == Expr {
		s.errs.Add(a.ValuePos, "%s: quote text that contains parentheses: %s=%s", a.Name, a.Name, strconv.Quote(a.Raw))
		return ""
	}
	s.canon[a.Name] = strconv.Quote(a.Value)
	return a.Value
}

// checkTaskID returns "" when s is a valid task id, else an error message.
func checkTaskID(s string) string {
	if spec.ValidTaskID(s) {
		return ""
	}
	return fmt.Sprintf("%q is not a valid task id; use letters, digits, \"_\" and \"-\", starting with a letter or \"_\"", s)
}

// checkWorkflowName returns "" when s is a valid workflow name, else an error message.
func checkWorkflowName(s string) string {
	if spec.ValidWorkflowName(s) {
		return ""
	}
	return fmt.Sprintf("%q is not a valid workflow name; use letters, digits, \"_\" and \"-\", starting with a letter", s)
}

// checkTenant returns "" when s is a valid tenant, else an error message.
func checkTenant(s string) string {
	if err := spec.CheckTenant(s); err != nil {
		return err.Error()
	}
	return ""
}

// one adapts a check of a whole value to the report form used by value.
func one(check func(string) string) func(string, report) {
	return func(v string, rep report) {
		if msg := check(v); msg != "" {
			rep(0, "%s", msg)
		}
	}
}

// list checks a comma list of task ids: no empty or repeated elements.
func list(v string, rep report) {
	seen := map[string]bool{}
	off := 0
	for _, e := range strings.Split(v, ",") {
		switch {
		case e == "":
			rep(off, "empty element in list %q", v)
		case seen[e]:
			rep(off, "%q is listed twice", e)
		default:
			if msg := checkTaskID(e); msg != "" {
				rep(off, "%s", msg)
			}
		}
		seen[e] = true
		off += len(e) + 1
	}
}

// parseDuration parses a Go duration, or returns an error message.
func parseDuration(v string) (time.Duration, string) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Sprintf("%q is not a Go duration (e.g. 500ms, 5s)", v)
	}
	return d, ""
}

// BuildTask turns the //cloacina:task directives that document one function
// (consecutive lines merge) into a Task. funcName is the function's name,
// used for the default id; Func is left nil (ParseFile sets it). Every key
// is checked; a key whose value is invalid leaves its field at the default.
func BuildTask(funcName string, dirs ...*Directive) (*Task, ErrorList) {
	s := gather(VerbTask, dirs, taskKeys, workflowKeys, taskAliases)
	t := &Task{
		FuncName:       funcName,
		RetryAttempts:  DefaultRetryAttempts,
		RetryBackoff:   DefaultRetryBackoff,
		RetryDelay:     DefaultRetryDelay,
		RetryMaxDelay:  DefaultRetryMaxDelay,
		RetryJitter:    DefaultRetryJitter,
		RetryCondition: RetryCondition{Kind: ConditionAll},
	}
	t.Pos = firstPos(dirs)
	if funcName != "" {
		t.ID = SnakeCase(funcName)
	}
	if a := s.args["id"]; a != nil {
		if s.value(a, false, one(checkTaskID)) {
			t.ID = a.Value
			s.canon["id"] = a.Value
		}
	} else if funcName != "" && checkTaskID(t.ID) != "" {
		s.errs.Add(t.Pos, "the default task id of func %s, %q, is not a valid task id; set id= to letters, digits, \"_\" and \"-\"", funcName, t.ID)
	}
	if a := s.args["deps"]; a != nil {
		if s.value(a, false, list) {
			t.Deps = strings.Split(a.Value, ",")
			s.canon["deps"] = a.Value
		}
	}
	if a := s.args["workflow"]; a != nil {
		if s.value(a, false, one(checkWorkflowName)) {
			t.Workflow = a.Value
			s.canon["workflow"] = a.Value
		}
	}
	if a := s.args["retry_attempts"]; a != nil {
		if n, ok := s.wholeNumber(a, 1, " (the first run counts)"); ok {
			t.RetryAttempts = n
		}
	}
	if a := s.args["retry_backoff"]; a != nil {
		if s.value(a, false, enum(backoffs, "fixed, linear or exponential")) {
			t.RetryBackoff = a.Value
			s.canon["retry_backoff"] = a.Value
		}
	}
	// durationKey reads one duration key into out; it reports whether
	// the key is absent or valid.
	durationKey := func(name string, out *time.Duration, positive bool) bool {
		a := s.args[name]
		if a == nil {
			return true
		}
		d, ok := s.durationValue(a, positive)
		if ok {
			*out = d
		}
		return ok
	}
	delayOK := durationKey("retry_delay", &t.RetryDelay, false)
	maxOK := durationKey("retry_max_delay", &t.RetryMaxDelay, false)
	durationKey("timeout", &t.Timeout, true)
	if delayOK && maxOK && t.RetryMaxDelay < t.RetryDelay {
		d, m := s.args["retry_delay"], s.args["retry_max_delay"]
		switch {
		case m == nil:
			s.errs.Add(d.ValuePos, "retry_delay (%s) is more than the default retry_max_delay (%s); set retry_max_delay too", d.Raw, DefaultRetryMaxDelay)
		case d == nil:
			s.errs.Add(m.ValuePos, "retry_max_delay (%s) is less than the default retry_delay (%s)", m.Raw, DefaultRetryDelay)
		default:
			s.errs.Add(m.ValuePos, "retry_max_delay (%s) is less than retry_delay (%s)", m.Raw, d.Raw)
		}
	}
	if a := s.args["retry_jitter"]; a != nil {
		if b, ok := s.boolValue(a); ok {
			t.RetryJitter = b
		}
	}
	if a := s.args["retry_condition"]; a != nil {
		s.retryCondition(a, t)
	}
	if a := s.args["trigger_rules"]; a != nil {
		var r *Rule
		base := a.posAt(0)
		if s.value(a, true, func(v string, rep report) {
			var err error
			if r, err = ParseRule(base, v); err != nil {
				e := err.(*Error)
				rep(e.Pos.Column-base.Column, "%s", e.Msg)
			}
		}) {
			t.Trigger = r
			s.canon["trigger_rules"] = r.String()
		}
	}
	for _, k := range []struct {
		name string
		out  *string
	}{{"on_success", &t.OnSuccess}, {"on_failure", &t.OnFailure}} {
		if a := s.args[k.name]; a != nil {
			if s.value(a, false, one(checkCallback)) {
				*k.out = a.Value
				s.canon[k.name] = a.Value
			}
		}
	}
	if a := s.args["reads"]; a != nil {
		t.Reads = s.contextKeys(a)
	}
	if a := s.args["writes"]; a != nil {
		t.Writes = s.contextKeys(a)
	}
	t.Keys = s.keys()
	t.Canonical = s.canonical()
	return t, s.errs
}

func (s *keySet) retryCondition(a *Arg, t *Task) {
	switch a.Kind {
	case Expr:
		s.value(a, false, nil)
		return
	case Word:
		if s.value(a, false, enum(conditions, "all, never or transient; for error substrings write a quoted list, e.g. retry_condition=\"timeout,connection reset\"")) {
			t.RetryCondition = RetryCondition{Kind: a.Value}
			s.canon["retry_condition"] = a.Value
		}
		return
	}
	if contains(conditions, strings.TrimSpace(a.Value)) {
		s.errs.Add(a.ValuePos, "retry_condition: write retry_condition=%s without quotes (a quoted value is a list of error substrings)", strings.TrimSpace(a.Value))
		return
	}
	// A quoted comma list of substrings; spaces around elements are trimmed.
	var pats []string
	seen := map[string]bool{}
	bad := false
	off := 0
	for _, e := range strings.Split(a.Value, ",") {
		p := strings.TrimSpace(e)
		switch {
		case p == "":
			s.errs.Add(a.posAt(off), "retry_condition: empty pattern in list %q", a.Value)
			bad = true
		case seen[p]:
			s.errs.Add(a.posAt(off), "retry_condition: pattern %q is listed twice", p)
			bad = true
		}
		seen[p] = true
		pats = append(pats, p)
		off += len(e) + 1
	}
	if !bad {
		t.RetryCondition = RetryCondition{Kind: ConditionPatterns, Patterns: pats}
		s.canon["retry_condition"] = strconv.Quote(strings.Join(pats, ","))
	}
}

// enum checks that a value is one of values; what lists them for the message.
func enum(values []string, what string) func(string, report) {
	return func(v string, rep report) {
		if contains(values, v) {
			return
		}
		if hint := suggest.DidYouMean(v, values); hint != "" {
			rep(0, "%q is not %s%s", v, strings.SplitN(what, ";", 2)[0], hint)
			return
		}
		rep(0, "%q is not %s", v, what)
	}
}

// checkCallback returns "" when s can name a function of the package, else an error message.
func checkCallback(s string) string {
	switch {
	case s == "_":
		return "\"_\" cannot name a function"
	case !token.IsIdentifier(s):
		return fmt.Sprintf("%q is not a Go identifier; name a function of this package", s)
	}
	return ""
}

// BuildWorkflow turns consecutive //cloacina:workflow directive lines into a
// Workflow. Every key is checked; name is required.
func BuildWorkflow(dirs ...*Directive) (*Workflow, ErrorList) {
	s := gather(VerbWorkflow, dirs, workflowKeys, taskKeys, nil)
	w := &Workflow{Tenant: DefaultTenant}
	w.Pos = firstPos(dirs)
	if a := s.args["name"]; a != nil {
		if s.value(a, false, one(checkWorkflowName)) {
			w.Name = a.Value
			s.canon["name"] = a.Value
		}
	} else if !s.incomplete {
		s.errs.Add(w.Pos, "missing required key \"name\" for %sworkflow", Prefix)
	}
	if a := s.args["description"]; a != nil {
		w.Description = s.text(a)
	}
	if a := s.args["author"]; a != nil {
		w.Author = s.text(a)
	}
	if a := s.args["tenant"]; a != nil {
		if s.value(a, false, one(checkTenant)) {
			w.Tenant = a.Value
			s.canon["tenant"] = a.Value
		}
	}
	if a := s.args["tasks"]; a != nil {
		w.HasTasks = true
		if s.value(a, false, list) {
			w.Tasks = strings.Split(a.Value, ",")
			s.canon["tasks"] = a.Value
		}
	}
	if a := s.args["inputs"]; a != nil {
		w.Inputs = s.contextKeys(a)
		w.HasInputs = w.Inputs != nil
	}
	w.Keys = s.keys()
	w.Canonical = s.canonical()
	return w, s.errs
}
