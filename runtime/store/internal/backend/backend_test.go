package backend

import (
	"reflect"
	"strings"
	"testing"

	"github.com/cloacina-go/cloacina/runtime/store"
)

func TestCacheBudget(t *testing.T) {
	c := NewCache[int, string](10, func(s string) int { return len(s) })
	c.Put(1, "aaaa")
	c.Put(2, "bbbb")
	if v, ok := c.Get(1); !ok || v != "aaaa" {
		t.Fatal("entry lost before the budget was reached")
	}
	c.Put(2, "bb") // replacing frees the old cost
	c.Put(3, "cc")
	if _, ok := c.Get(1); !ok {
		t.Fatal("replacement was counted twice")
	}
	c.Put(4, "dddd") // 4+2+2+4 > 10: emptied, then 4 added
	if _, ok := c.Get(1); ok {
		t.Fatal("over budget but not emptied")
	}
	if v, ok := c.Get(4); !ok || v != "dddd" {
		t.Fatal("the entry that overflowed was not kept")
	}
}

func TestValidateCreate(t *testing.T) {
	decide := func(*store.DecideInput) (*store.Decision, error) { return nil, nil }
	p := &store.CreateExecutionParams{ID: "e", WorkflowName: "w", Decide: decide, Tasks: []store.TaskSpec{
		{TaskID: "a"}, {TaskID: "b", Deps: []string{"a"}}, {TaskID: "c", Deps: []string{"a", "b"}},
	}}
	c, err := PrepareCreate(p)
	if err != nil || !reflect.DeepEqual(c.Dependents, map[string][]string{"a": {"b", "c"}, "b": {"c"}}) || string(c.Input) != "{}" || c.Tenant != "public" {
		t.Fatalf("prepared = %+v, %v", c, err)
	}
	p.Tasks = append(p.Tasks, store.TaskSpec{TaskID: "x,y"})
	if _, err := PrepareCreate(p); err == nil || !strings.Contains(err.Error(), `invalid task id "x,y"`) {
		t.Fatalf("comma in id: %v", err)
	}
	if got := SplitList(JoinList([]string{"a", "b"})); !reflect.DeepEqual(got, []string{"a", "b"}) || SplitList("") != nil {
		t.Fatal("list round trip")
	}
}
