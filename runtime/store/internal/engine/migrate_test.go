package engine

import (
	"reflect"
	"testing"
)

func TestPending(t *testing.T) {
	ms := []Migration{{Version: 1}, {Version: 2}, {Version: 3}, {Version: 4}}
	versions := func(ms []Migration) []int {
		var out []int
		for _, m := range ms {
			out = append(out, m.Version)
		}
		return out
	}
	for _, tc := range []struct {
		applied, pending, unknown []int
	}{
		{applied: nil, pending: []int{1, 2, 3, 4}},
		{applied: []int{1, 2}, pending: []int{3, 4}},
		// A database migrated by a change that brought 4 before the one that
		// brought 3 gets 3 now.
		{applied: []int{4, 1, 2}, pending: []int{3}},
		{applied: []int{1, 2, 3, 4}},
		{applied: []int{1, 2, 3, 4, 7, 5}, unknown: []int{5, 7}},
	} {
		pending, unknown := Pending(ms, tc.applied)
		if got := versions(pending); !reflect.DeepEqual(got, tc.pending) || !reflect.DeepEqual(unknown, tc.unknown) {
			t.Errorf("Pending(applied %v) = %v, unknown %v; want %v, unknown %v", tc.applied, got, unknown, tc.pending, tc.unknown)
		}
	}
}
