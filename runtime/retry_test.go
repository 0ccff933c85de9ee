package runtime

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloacina-go/cloacina/internal/spec"
)

func TestBaseDelay(t *testing.T) {
	ms := time.Millisecond
	pol := func(b Backoff, initial, max time.Duration) RetryPolicy {
		return RetryPolicy{MaxAttempts: 10, Backoff: b, InitialDelay: initial, MaxDelay: max}
	}
	cases := []struct {
		name    string
		p       RetryPolicy
		attempt int
		want    time.Duration
	}{
		{"fixed 1", pol(BackoffFixed, 100*ms, time.Second), 1, 100 * ms},
		{"fixed 5", pol(BackoffFixed, 100*ms, time.Second), 5, 100 * ms},
		{"linear 1", pol(BackoffLinear, 100*ms, time.Second), 1, 100 * ms},
		{"linear 3", pol(BackoffLinear, 100*ms, time.Second), 3, 300 * ms},
		{"linear capped", pol(BackoffLinear, 100*ms, 250*ms), 3, 250 * ms},
		{"exponential 1", pol(BackoffExponential, 100*ms, time.Second), 1, 100 * ms},
		{"exponential 2", pol(BackoffExponential, 100*ms, time.Second), 2, 200 * ms},
		{"exponential 4", pol(BackoffExponential, 100*ms, time.Second), 4, 800 * ms},
		{"exponential capped", pol(BackoffExponential, 100*ms, time.Second), 5, time.Second},
		{"exponential huge attempt", pol(BackoffExponential, time.Second, 30*time.Second), 500, 30 * time.Second},
		{"linear huge attempt", pol(BackoffLinear, time.Hour, 2*time.Hour), 1 << 40, 2 * time.Hour},
		{"zero delay", pol(BackoffExponential, 0, 0), 3, 0},
		{"attempt 0 treated as 1", pol(BackoffExponential, 100*ms, time.Second), 0, 100 * ms},
		{"default policy 1", DefaultRetryPolicy(), 1, time.Second},
		{"default policy 3", DefaultRetryPolicy(), 3, 4 * time.Second},
		{"default policy 10", DefaultRetryPolicy(), 10, 30 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := c.p.BaseDelay(c.attempt); got != c.want {
				t.Fatalf("BaseDelay(%d) = %s, want %s", c.attempt, got, c.want)
			}
			p := c.p
			p.Jitter = false
			if got := p.Delay(c.attempt); got != c.want {
				t.Fatalf("Delay(%d) without jitter = %s, want %s", c.attempt, got, c.want)
			}
		})
	}
}

func TestJitterBounds(t *testing.T) {
	for _, b := range []Backoff{BackoffFixed, BackoffLinear, BackoffExponential} {
		p := RetryPolicy{MaxAttempts: 10, Backoff: b, InitialDelay: 400 * time.Millisecond, MaxDelay: 3 * time.Second, Jitter: true}
		for attempt := 1; attempt <= 8; attempt++ {
			base := p.BaseDelay(attempt)
			lo := time.Duration(float64(base) * 0.75)
			hi := min(time.Duration(float64(base)*1.25), p.MaxDelay)
			var seenLow, seenHigh bool
			for i := 0; i < 2000; i++ {
				d := p.Delay(attempt)
				if d < lo || d > hi {
					t.Fatalf("%s attempt %d: delay %s outside [%s, %s]", b, attempt, d, lo, hi)
				}
				if d > p.MaxDelay {
					t.Fatalf("delay %s above cap %s", d, p.MaxDelay)
				}
				seenLow = seenLow || d < base
				seenHigh = seenHigh || d > base
			}
			if !seenLow {
				t.Fatalf("%s attempt %d: jitter never went below the base delay", b, attempt)
			}
			if base < p.MaxDelay && !seenHigh {
				t.Fatalf("%s attempt %d: jitter never went above the base delay", b, attempt)
			}
		}
	}
}

func TestRetryConditions(t *testing.T) {
	plain := errors.New("connection reset by peer")
	timeout := fmt.Errorf("query: %w", context.DeadlineExceeded)
	cases := []struct {
		cond RetryCondition
		err  error
		want bool
	}{
		{RetryCondition{Kind: RetryAll}, plain, true},
		{RetryCondition{Kind: RetryAll}, Permanent(plain), false},
		{RetryCondition{Kind: RetryNever}, plain, false},
		{RetryCondition{Kind: RetryNever}, Transient(plain), false},
		{RetryCondition{Kind: RetryTransient}, plain, false},
		{RetryCondition{Kind: RetryTransient}, Transient(plain), true},
		{RetryCondition{Kind: RetryTransient}, fmt.Errorf("wrapped: %w", Transient(plain)), true},
		{RetryCondition{Kind: RetryTransient}, timeout, true},
		{RetryCondition{Kind: RetryTransient}, netTimeout{}, true},
		{RetryCondition{Kind: RetryTransient}, Permanent(Transient(plain)), false},
		{RetryOn("timeout", "reset"), plain, true},
		{RetryOn("timeout"), plain, false},
		{RetryOn("reset"), Permanent(plain), false},
		{RetryCondition{Kind: RetryAll}, nil, false},
	}
	for i, c := range cases {
		if got := c.cond.Matches(c.err); got != c.want {
			t.Errorf("case %d: %s.Matches(%v) = %v, want %v", i, c.cond.Kind, c.err, got, c.want)
		}
	}
	if Transient(nil) != nil || Permanent(nil) != nil {
		t.Fatal("wrapping nil must give nil")
	}
	if Transient(plain).Error() != plain.Error() || !errors.Is(Transient(plain), plain) {
		t.Fatal("Transient must keep the message and the chain")
	}
}

type netTimeout struct{}

func (netTimeout) Error() string   { return "i/o timeout" }
func (netTimeout) Timeout() bool   { return true }
func (netTimeout) Temporary() bool { return true }

func TestShouldRetryCountsAttempts(t *testing.T) {
	p := DefaultRetryPolicy()
	err := errors.New("x")
	if !p.ShouldRetry(err, 1) || !p.ShouldRetry(err, 2) || p.ShouldRetry(err, 3) {
		t.Fatal("3 attempts in total: retry after 1 and 2, not after 3")
	}
	if NoRetry().ShouldRetry(err, 1) {
		t.Fatal("NoRetry retried")
	}
}

func TestRetryPolicyValidate(t *testing.T) {
	ok := DefaultRetryPolicy()
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		mut  func(*RetryPolicy)
		want string
	}{
		{func(p *RetryPolicy) { p.MaxAttempts = 0 }, "MaxAttempts must be at least 1"},
		{func(p *RetryPolicy) { p.Backoff = 7 }, "Backoff 7"},
		{func(p *RetryPolicy) { p.InitialDelay = -1 }, "InitialDelay must not be negative"},
		{func(p *RetryPolicy) { p.MaxDelay = time.Millisecond }, "MaxDelay (1ms) must not be shorter than InitialDelay (1s)"},
		{func(p *RetryPolicy) { p.Condition = RetryCondition{Kind: RetryPatterns} }, "Condition.Patterns must not be empty"},
		{func(p *RetryPolicy) { p.Condition = RetryOn("a", "") }, "Condition.Patterns[1] is empty"},
		{func(p *RetryPolicy) { p.Condition.Kind = 9 }, "Condition.Kind 9"},
	}
	for _, c := range cases {
		p := DefaultRetryPolicy()
		c.mut(&p)
		err := p.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate = %v, want it to contain %q", err, c.want)
		}
	}
	var zero RetryPolicy
	if zero.Validate() == nil {
		t.Fatal("zero policy accepted")
	}
}

// TestRetryAgreesWithSpec checks that the runtime's retry enums and default
// policy agree with internal/spec, which the annotation parser and the
// generator use: a //cloacina:task without retry_ keys must behave like a
// hand-written task with a nil Retry.
func TestRetryAgreesWithSpec(t *testing.T) {
	var backoffs []string
	for b := BackoffExponential; b <= BackoffLinear; b++ {
		backoffs = append(backoffs, b.String())
	}
	if got, want := sorted(backoffs), sorted(spec.Backoffs()); !slices.Equal(got, want) {
		t.Errorf("Backoff spellings %v, spec %v", got, want)
	}
	var conds []string
	for k := RetryAll; k <= RetryPatterns; k++ {
		conds = append(conds, k.String())
	}
	if got, want := sorted(conds), sorted(append(spec.Conditions(), spec.ConditionPatterns)); !slices.Equal(got, want) {
		t.Errorf("RetryConditionKind spellings %v, spec %v", got, want)
	}
	p := DefaultRetryPolicy()
	if p.MaxAttempts != spec.DefaultRetryAttempts || p.Backoff.String() != spec.DefaultRetryBackoff ||
		p.InitialDelay != spec.DefaultRetryDelay || p.MaxDelay != spec.DefaultRetryMaxDelay ||
		p.Jitter != spec.DefaultRetryJitter || p.Condition.Kind.String() != spec.DefaultRetryCondition {
		t.Errorf("DefaultRetryPolicy() = %+v, spec says %d attempts, %s from %s to %s, jitter %v, condition %s", p,
			spec.DefaultRetryAttempts, spec.DefaultRetryBackoff, spec.DefaultRetryDelay, spec.DefaultRetryMaxDelay,
			spec.DefaultRetryJitter, spec.DefaultRetryCondition)
	}
	if err := p.Validate(); err != nil {
		t.Errorf("DefaultRetryPolicy() is invalid: %v", err)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
