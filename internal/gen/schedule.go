package gen

import (
	"go/token"
	"go/types"

	"github.com/cloacina-go/cloacina/annotations"
	"github.com/cloacina-go/cloacina/internal/suggest"
)

// triggerSignature is the signature of a trigger function, as messages
// print it.
const triggerSignature = "func(context.Context) (*runtime.Context, error)"

// attachSchedules gives each workflow its schedules and triggers, and
// reports a schedule or trigger naming an unknown workflow, a missing or
// repeated name, a schedule input that does not match the workflow's
// inputs, and a trigger function without the trigger signature.
func (s *pkgState) attachSchedules(wfs []*wfTasks) {
	byName := map[string]*wfTasks{}
	var names []string
	for _, w := range wfs {
		byName[w.dir.Name] = w
		names = append(names, w.dir.Name)
	}
	lookup := func(what, workflow string, keys map[string]annotations.Key) *wfTasks {
		if workflow == "" {
			return nil // missing or invalid; reported by annotations
		}
		w := byName[workflow]
		if w == nil {
			hint := suggest.DidYouMean(workflow, names)
			if hint == "" && len(names) > 0 {
				hint = "; the package declares " + quoteList(names)
			} else if hint == "" {
				hint = "; declare it with //cloacina:workflow"
			}
			s.errs.add(keys["workflow"].ValuePos, ScheduleError, "%s: unknown workflow %q%s", what, workflow, hint)
		}
		return w
	}
	for _, sc := range s.schedules {
		if w := lookup("schedule", sc.Workflow, sc.Keys); w != nil {
			w.schedules = append(w.schedules, sc)
		}
	}
	for _, t := range s.triggers {
		s.checkTriggerFunc(t)
		if w := lookup("trigger", t.Workflow, t.Keys); w != nil {
			w.triggers = append(w.triggers, t)
		}
	}
	taken := map[string]token.Position{}
	claim := func(name string, pos token.Position, what string) {
		if first, ok := taken[name]; ok {
			s.errs.add(pos, ScheduleError, "%s name %q is taken (first at %s); schedules and triggers of a package need distinct names",
				what, name, s.l.at(first))
			return
		}
		taken[name] = pos
	}
	for _, w := range wfs {
		for _, sc := range w.schedules {
			if sc.Input != nil {
				for _, e := range CheckInput(w.dir.Name, w.dir.Inputs, sc.Input, sc.Keys["input"].ValuePos) {
					e.Msg = s.relative(e.Msg)
					s.errs = append(s.errs, e)
				}
			}
			if sc.Name == "" {
				if len(w.schedules) > 1 {
					s.errs.add(sc.Pos, ScheduleError, "workflow %q has %d schedules; give each a name= to tell them apart", w.dir.Name, len(w.schedules))
					continue
				}
				sc.Name = w.dir.Name
			}
			pos := sc.Pos
			if k, ok := sc.Keys["name"]; ok {
				pos = k.ValuePos
			}
			claim(sc.Name, pos, "schedule")
		}
		for _, t := range w.triggers {
			pos := t.Pos
			if k, ok := t.Keys["name"]; ok {
				pos = k.ValuePos
			}
			claim(t.Name, pos, "trigger")
		}
	}
}

// checkTriggerFunc checks that the trigger's function has the trigger
// signature.
func (s *pkgState) checkTriggerFunc(t *annotations.Trigger) {
	if t.Func == nil || s.p.TypesInfo == nil {
		return
	}
	fn, _ := s.p.TypesInfo.Defs[t.Func.Name].(*types.Func)
	if fn == nil {
		return
	}
	sig := fn.Type().(*types.Signature)
	if sig.TypeParams().Len() > 0 || !isTriggerSignature(sig) {
		s.errs.add(s.l.fset.Position(t.Func.Name.Pos()), ScheduleError, "trigger %q: func %s has signature %s; a trigger must be %s",
			t.Name, fn.Name(), s.typeString(sig), triggerSignature)
	}
}

// isTriggerSignature reports whether sig is
// func(context.Context) (*runtime.Context, error).
func isTriggerSignature(sig *types.Signature) bool {
	return !sig.Variadic() &&
		sig.Params().Len() == 1 &&
		isNamed(sig.Params().At(0).Type(), "context", "Context") &&
		sig.Results().Len() == 2 &&
		isPointerTo(sig.Results().At(0).Type(), RuntimePath, "Context") &&
		types.Identical(sig.Results().At(1).Type(), types.Universe.Lookup("error").Type())
}
