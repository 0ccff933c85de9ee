package gen

import (
	"bytes"
	"fmt"
	"go/types"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dave/jennifer/jen"

	"github.com/cloacina-go/cloacina/annotations"
	"github.com/cloacina-go/cloacina/internal/spec"
)

const jsonPath = "encoding/json"

// emit renders the generated file of a package. Everything is sorted
// (workflows by name, tasks by id, assertions by function name), so the
// output depends on the directives and the code alone, never on the order
// of files or declarations.
func emit(pkgName, pkgPath string, pkg *types.Package, wfs []*Workflow) ([]byte, error) {
	f := jen.NewFilePathName(pkgPath, pkgName)
	f.HeaderComment(Header[len("// "):])
	// Keep the usual import names unless the package declares them.
	for path, name := range map[string]string{RuntimePath: "runtime", jsonPath: "json"} {
		if pkg != nil && pkg.Scope().Lookup(name) != nil {
			f.ImportAlias(path, "cloacina"+name)
		} else {
			f.ImportName(path, name)
		}
	}

	// Signature assertions: a clear compile error at the function if it
	// changes after generation.
	var funcs, callbacks []string
	seenFunc, seenCallback := map[string]bool{}, map[string]bool{}
	for _, w := range wfs {
		for _, t := range w.Tasks {
			if !seenFunc[t.Func] {
				seenFunc[t.Func] = true
				funcs = append(funcs, t.Func)
			}
			for _, cb := range []string{t.Directive.OnSuccess, t.Directive.OnFailure} {
				if cb != "" && !seenCallback[cb] {
					seenCallback[cb] = true
					callbacks = append(callbacks, cb)
				}
			}
		}
	}
	var triggers []string
	for _, w := range wfs {
		for _, t := range w.Triggers {
			triggers = append(triggers, t.FuncName)
		}
	}
	sort.Strings(funcs)
	sort.Strings(callbacks)
	sort.Strings(triggers)
	var asserts []jen.Code
	for _, fn := range funcs {
		asserts = append(asserts, jen.Id("_").Qual(RuntimePath, "TaskFunc").Op("=").Id(fn))
	}
	for _, cb := range callbacks {
		asserts = append(asserts, jen.Id("_").Qual(RuntimePath, "Callback").Op("=").Id(cb))
	}
	for _, fn := range triggers {
		asserts = append(asserts, jen.Id("_").Qual(RuntimePath, "TriggerFunc").Op("=").Id(fn))
	}
	if len(triggers) > 0 {
		f.Comment("The compiler checks that every task has the signature of runtime.TaskFunc,")
		f.Comment("every callback that of runtime.Callback and every trigger that of")
		f.Comment("runtime.TriggerFunc.")
	} else {
		f.Comment("The compiler checks that every task has the signature of runtime.TaskFunc")
		f.Comment("and every callback that of runtime.Callback.")
	}
	f.Var().Defs(asserts...)

	for _, w := range wfs {
		emitWorkflow(f, w)
	}

	f.Line()
	f.Comment("init registers the workflows of this package in the default registry.")
	f.Func().Id("init").Params().BlockFunc(func(g *jen.Group) {
		for _, w := range wfs {
			g.Qual(RuntimePath, "MustRegister").Call(jen.Id(w.GoName + "Workflow"))
		}
	})

	var buf bytes.Buffer
	if err := f.Render(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func emitWorkflow(f *jen.File, w *Workflow) {
	names := generatedNames(w.GoName)
	value, version, graph, tasksVar := names[0], names[1], names[2], names[3]
	f.Line()
	doc(f, fmt.Sprintf("%s is the version of workflow %q: a hash of its name and of its tasks' ids, code fingerprints and dependencies. It equals %s.Version() and changes whenever a task's code or directive does.", version, w.Name, value))
	f.Const().Id(version).Op("=").Lit(w.Version)

	f.Line()
	doc(f, fmt.Sprintf("%s is the static dependency graph of workflow %q: every task id, mapped to the ids of the tasks it depends on, in declared order. It must not be modified.", graph, w.Name))
	dict := jen.Dict{}
	for _, t := range w.Tasks {
		var deps jen.Code = jen.Nil()
		if len(t.Deps) > 0 {
			deps = jen.Values(lits(t.Deps)...)
		}
		dict[jen.Lit(t.ID)] = deps
	}
	f.Var().Id(graph).Op("=").Map(jen.String()).Index().String().Values(dict)

	f.Line()
	doc(f, fmt.Sprintf("%s are the task definitions of workflow %q, sorted by id.", tasksVar, w.Name))
	var tasks []jen.Code
	for _, t := range w.Tasks {
		tasks = append(tasks, jen.Custom(multi(""), taskFields(t)...).Op(","))
	}
	f.Var().Id(tasksVar).Op("=").Index().Op("*").Qual(RuntimePath, "Task").Custom(multi(""), tasks...)

	f.Line()
	doc(f, fmt.Sprintf("%s is workflow %q, registered in the default registry by init.", value, w.Name))
	chain := jen.Qual(RuntimePath, "NewWorkflow").Call(jen.Lit(w.Name))
	if w.Description != "" {
		chain = chain.Op(".").Line().Id("Description").Call(jen.Lit(w.Description))
	}
	if w.Author != "" {
		chain = chain.Op(".").Line().Id("Author").Call(jen.Lit(w.Author))
	}
	if w.Tenant != "" {
		chain = chain.Op(".").Line().Id("Tenant").Call(jen.Lit(w.Tenant))
	}
	if w.Inputs != nil {
		// The runtime refuses a submission whose input breaks inputs=.
		var ins []jen.Code
		for _, k := range w.Inputs {
			ins = append(ins, jen.Qual(RuntimePath, "Input").Values(jen.Dict{jen.Id("Name"): jen.Lit(k.Name), jen.Id("Type"): jen.Lit(k.Type)}))
		}
		chain = chain.Op(".").Line().Id("Inputs").Call(ins...)
	}
	chain = chain.Op(".").Line().Id("Add").Call(jen.Id(tasksVar).Op("..."))
	for _, sc := range w.Schedules {
		chain = chain.Op(".").Line().Id("Schedule").Call(jen.Qual(RuntimePath, "Schedule").Custom(multi(""), scheduleFields(sc)...))
	}
	for _, t := range w.Triggers {
		chain = chain.Op(".").Line().Id("Trigger").Call(jen.Qual(RuntimePath, "Trigger").Custom(multi(""), triggerFields(t)...))
	}
	chain = chain.Op(".").Line().Id("MustBuild").Call()
	f.Var().Id(value).Op("=").Add(chain)
}

// taskFields are the fields of a runtime.Task literal, each with its
// trailing comma (so durations can carry a readable comment).
func taskFields(t *Task) []jen.Code {
	d := t.Directive
	field := func(name string, v jen.Code) *jen.Statement {
		return jen.Id(name).Op(":").Add(v).Op(",")
	}
	out := []jen.Code{field("ID", jen.Lit(t.ID))}
	if len(t.Deps) > 0 {
		out = append(out, field("Dependencies", jen.Index().String().Values(lits(t.Deps)...)))
	}
	out = append(out, field("Func", jen.Id(t.Func)))
	retry := []jen.Code{
		field("MaxAttempts", jen.Lit(d.RetryAttempts)),
		field("Backoff", jen.Qual(RuntimePath, backoffs[d.RetryBackoff])),
		duration("InitialDelay", d.RetryDelay),
		duration("MaxDelay", d.RetryMaxDelay),
		field("Jitter", jen.Lit(d.RetryJitter)),
		field("Condition", condition(d.RetryCondition)),
	}
	out = append(out, field("Retry", jen.Op("&").Qual(RuntimePath, "RetryPolicy").Custom(multi(""), retry...)))
	if d.Trigger != nil {
		out = append(out, field("Trigger", rule(d.Trigger)))
	}
	if d.Timeout > 0 {
		out = append(out, duration("Timeout", d.Timeout))
	}
	out = append(out, field("Fingerprint", jen.Lit(t.Fingerprint)))
	if d.OnSuccess != "" {
		out = append(out, field("OnSuccess", jen.Id(d.OnSuccess)))
	}
	if d.OnFailure != "" {
		out = append(out, field("OnFailure", jen.Id(d.OnFailure)))
	}
	return out
}

var catchups = map[string]string{
	spec.CatchupSkip:   "CatchupSkip",
	spec.CatchupLatest: "CatchupLatest",
	spec.CatchupAll:    "CatchupAll",
}

var overlaps = map[string]string{
	spec.OverlapSkip:   "OverlapSkip",
	spec.OverlapAllow:  "OverlapAllow",
	spec.OverlapBuffer: "OverlapBuffer",
}

var concurrencies = map[string]string{
	spec.ConcurrencyForbid: "ConcurrencyForbid",
	spec.ConcurrencyAllow:  "ConcurrencyAllow",
}

// scheduleFields are the fields of a runtime.Schedule literal: the name
// and the keys the directive gives (the runtime fills the defaults).
func scheduleFields(sc *annotations.Schedule) []jen.Code {
	field := func(name string, v jen.Code) *jen.Statement { return jen.Id(name).Op(":").Add(v).Op(",") }
	has := func(k string) bool { _, ok := sc.Keys[k]; return ok }
	out := []jen.Code{field("Name", jen.Lit(sc.Name)), field("Cron", jen.Lit(sc.Cron))}
	if has("timezone") {
		out = append(out, field("Timezone", jen.Lit(sc.Timezone)))
	}
	if has("catchup") {
		out = append(out, field("Catchup", jen.Qual(RuntimePath, catchups[sc.Catchup])))
	}
	if has("max_catchup") {
		out = append(out, field("MaxCatchup", jen.Lit(sc.MaxCatchup)))
	}
	if has("overlap") {
		out = append(out, field("Overlap", jen.Qual(RuntimePath, overlaps[sc.Overlap])))
	}
	if sc.Input != nil {
		var text jen.Code = jen.Lit(string(sc.Input))
		if !strings.Contains(string(sc.Input), "`") {
			text = jen.Id("`" + string(sc.Input) + "`") // as the directive reads, unescaped
		}
		out = append(out, field("Input", jen.Qual(jsonPath, "RawMessage").Call(text)))
	}
	for _, b := range []struct {
		name string
		t    time.Time
	}{{"Start", sc.Start}, {"End", sc.End}} {
		if b.t.IsZero() {
			continue
		}
		u := b.t.UTC()
		out = append(out, jen.Id(b.name).Op(":").Qual("time", "Date").Call(jen.Lit(u.Year()), jen.Qual("time", u.Month().String()),
			jen.Lit(u.Day()), jen.Lit(u.Hour()), jen.Lit(u.Minute()), jen.Lit(u.Second()), jen.Lit(u.Nanosecond()),
			jen.Qual("time", "UTC")).Op(",").Comment(b.t.Format(time.RFC3339Nano)))
	}
	if sc.Jitter > 0 {
		out = append(out, duration("Jitter", sc.Jitter))
	}
	if sc.Paused {
		out = append(out, field("Paused", jen.True()))
	}
	return out
}

// triggerFields are the fields of a runtime.Trigger literal.
func triggerFields(t *annotations.Trigger) []jen.Code {
	out := []jen.Code{
		jen.Id("Name").Op(":").Lit(t.Name).Op(","),
		jen.Id("Func").Op(":").Id(t.FuncName).Op(","),
		duration("Poll", t.Poll),
	}
	if t.Timeout > 0 {
		out = append(out, duration("Timeout", t.Timeout))
	}
	if _, ok := t.Keys["concurrency"]; ok {
		out = append(out, jen.Id("Concurrency").Op(":").Qual(RuntimePath, concurrencies[t.Concurrency]).Op(","))
	}
	return out
}

// duration renders a time.Duration field as an untyped constant of
// nanoseconds with the readable value in a comment, so that the generated
// file needs no import of package time.
func duration(name string, d time.Duration) *jen.Statement {
	return jen.Id(name).Op(":").Id(strconv.FormatInt(int64(d), 10)).Op(",").Comment(d.String())
}

var backoffs = map[string]string{
	annotations.BackoffFixed:       "BackoffFixed",
	annotations.BackoffLinear:      "BackoffLinear",
	annotations.BackoffExponential: "BackoffExponential",
}

var conditions = map[string]string{
	annotations.ConditionAll:       "RetryAll",
	annotations.ConditionNever:     "RetryNever",
	annotations.ConditionTransient: "RetryTransient",
}

func condition(c annotations.RetryCondition) jen.Code {
	if c.Kind == annotations.ConditionPatterns {
		return jen.Qual(RuntimePath, "RetryOn").Call(lits(c.Patterns)...)
	}
	return jen.Qual(RuntimePath, "RetryCondition").Values(jen.Id("Kind").Op(":").Qual(RuntimePath, conditions[c.Kind]))
}

var ruleFuncs = map[string]string{
	annotations.RuleAlways:       "Always",
	annotations.RuleAll:          "All",
	annotations.RuleAny:          "Any",
	annotations.RuleNone:         "None",
	annotations.RuleTaskSuccess:  "TaskSuccess",
	annotations.RuleTaskFailed:   "TaskFailed",
	annotations.RuleTaskSkipped:  "TaskSkipped",
	annotations.RuleContextValue: "ContextValue",
}

var ops = map[string]string{
	annotations.OpEquals:      "OpEquals",
	annotations.OpNotEquals:   "OpNotEquals",
	annotations.OpGreaterThan: "OpGreaterThan",
	annotations.OpLessThan:    "OpLessThan",
	annotations.OpContains:    "OpContains",
	annotations.OpNotContains: "OpNotContains",
	annotations.OpExists:      "OpExists",
	annotations.OpNotExists:   "OpNotExists",
}

// rule renders a trigger rule as calls of the runtime's constructors.
func rule(r *annotations.Rule) jen.Code {
	fn := jen.Qual(RuntimePath, ruleFuncs[r.Kind])
	switch r.Kind {
	case annotations.RuleAlways:
		return fn.Call()
	case annotations.RuleAll, annotations.RuleAny, annotations.RuleNone:
		args := make([]jen.Code, len(r.Rules))
		for i, sub := range r.Rules {
			args[i] = rule(sub)
		}
		if len(r.Rules) > 1 && len(r.String()) > 60 {
			// One argument per line, for long rules.
			return fn.Custom(jen.Options{Open: "(", Close: ")", Separator: ",", Multi: true}, args...)
		}
		return fn.Call(args...)
	case annotations.RuleTaskSuccess, annotations.RuleTaskFailed, annotations.RuleTaskSkipped:
		return fn.Call(jen.Lit(r.Task))
	case annotations.RuleContextValue:
		return fn.Call(jen.Lit(spec.JoinPath(r.Path)), jen.Qual(RuntimePath, ops[r.Op]), literal(r.Value))
	}
	panic(fmt.Sprintf("cloacina-gen: unknown rule kind %q", r.Kind))
}

// literal renders a context_value literal: numbers as json.Number, which
// keeps their exact value whatever their size.
func literal(l *annotations.Literal) jen.Code {
	if l == nil {
		return jen.Nil()
	}
	switch l.Kind {
	case annotations.LiteralString:
		return jen.Lit(l.Value.(string))
	case annotations.LiteralNumber:
		return jen.Qual(jsonPath, "Number").Call(jen.Lit(l.Text))
	case annotations.LiteralBool:
		return jen.Lit(l.Value.(bool))
	}
	return jen.Nil()
}

// doc adds a comment, wrapped to fit 80 columns.
func doc(f *jen.File, text string) {
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && len(line)+1+len(word) > 77 {
			f.Comment(line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	if line != "" {
		f.Comment(line)
	}
}

func lits(ss []string) []jen.Code {
	out := make([]jen.Code, len(ss))
	for i, s := range ss {
		out[i] = jen.Lit(s)
	}
	return out
}

// multi is a brace group with one item per line; items carry their own
// separators.
func multi(sep string) jen.Options {
	return jen.Options{Open: "{", Close: "}", Multi: true, Separator: sep}
}
