package cloacinatest_test

import (
	"fmt"
	goruntime "runtime"
	"strings"
	"sync"
	"testing"

	"github.com/cloacina-go/cloacina/cloacinatest"
)

// fakeTB is a cloacinatest.TB that records what a test would report. Its
// Fatalf stops the goroutine as testing's does; run calls a function on a
// goroutine of its own for that. Its cleanups run when the real test ends.
type fakeTB struct {
	mu       sync.Mutex
	fatal    string
	errs     []string
	cleanups []func()
}

func newFakeTB(t *testing.T) *fakeTB {
	f := &fakeTB{}
	t.Cleanup(func() {
		f.mu.Lock()
		cs := f.cleanups
		f.mu.Unlock()
		for i := len(cs) - 1; i >= 0; i-- {
			cs[i]()
		}
		if len(f.errs) > 0 {
			t.Errorf("errors reported in cleanup: %s", strings.Join(f.errs, "; "))
		}
	})
	return f
}

var _ cloacinatest.TB = (*fakeTB)(nil)

func (f *fakeTB) Helper() {}
func (f *fakeTB) Cleanup(fn func()) {
	f.mu.Lock()
	f.cleanups = append(f.cleanups, fn)
	f.mu.Unlock()
}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
	f.mu.Unlock()
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.fatal = fmt.Sprintf(format, args...)
	f.mu.Unlock()
	goruntime.Goexit()
}
func (f *fakeTB) Logf(string, ...any) {}

// run calls fn as a test body and returns the message it failed with, or
// "" if it returned.
func (f *fakeTB) run(fn func(tb cloacinatest.TB)) string {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	f.mu.Lock()
	defer f.mu.Unlock()
	msg := f.fatal
	f.fatal = ""
	return msg
}
