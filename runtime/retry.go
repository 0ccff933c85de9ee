package runtime

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/cloacina-go/cloacina/internal/spec"
)

// Backoff is how the delay between attempts grows.
type Backoff int

// Backoff kinds.
const (
	// BackoffExponential doubles the delay after each attempt: d, 2d, 4d, ...
	// It is the zero value and the default.
	BackoffExponential Backoff = iota
	// BackoffFixed waits the same delay every time: d, d, d, ...
	BackoffFixed
	// BackoffLinear grows the delay by d each time: d, 2d, 3d, ...
	BackoffLinear
)

// String returns the annotation spelling: "exponential", "fixed", "linear".
func (b Backoff) String() string {
	switch b {
	case BackoffExponential:
		return spec.BackoffExponential
	case BackoffFixed:
		return spec.BackoffFixed
	case BackoffLinear:
		return spec.BackoffLinear
	}
	return fmt.Sprintf("Backoff(%d)", int(b))
}

// RetryConditionKind selects which errors are retried.
type RetryConditionKind int

// Retry condition kinds.
const (
	// RetryAll retries every error except those marked Permanent. It is the
	// zero value and the default.
	RetryAll RetryConditionKind = iota
	// RetryNever never retries.
	RetryNever
	// RetryTransient retries errors marked Transient and timeouts.
	RetryTransient
	// RetryPatterns retries errors whose message contains one of Patterns.
	RetryPatterns
)

// String returns the annotation spelling: "all", "never", "transient", "patterns".
func (k RetryConditionKind) String() string {
	switch k {
	case RetryAll:
		return spec.ConditionAll
	case RetryNever:
		return spec.ConditionNever
	case RetryTransient:
		return spec.ConditionTransient
	case RetryPatterns:
		return spec.ConditionPatterns
	}
	return fmt.Sprintf("RetryConditionKind(%d)", int(k))
}

// RetryCondition selects which errors are worth another attempt.
type RetryCondition struct {
	Kind RetryConditionKind
	// Patterns are substrings of error messages, for RetryPatterns.
	Patterns []string
}

// RetryOn returns a condition that retries errors whose message contains
// any of the given substrings.
func RetryOn(patterns ...string) RetryCondition {
	return RetryCondition{Kind: RetryPatterns, Patterns: patterns}
}

// Matches reports whether err should be retried under the condition.
// Errors marked Permanent never match.
func (c RetryCondition) Matches(err error) bool {
	if err == nil || IsPermanent(err) {
		return false
	}
	switch c.Kind {
	case RetryAll:
		return true
	case RetryTransient:
		return IsTransient(err)
	case RetryPatterns:
		msg := err.Error()
		for _, p := range c.Patterns {
			if strings.Contains(msg, p) {
				return true
			}
		}
	}
	return false
}

// RetryPolicy governs how often and how soon a failed task runs again.
// Start from DefaultRetryPolicy and change what you need: the zero value
// allows no attempt at all and is rejected by validation.
type RetryPolicy struct {
	// MaxAttempts counts every attempt, the first run included; 1 means no
	// retry.
	MaxAttempts int
	// Backoff is how the delay grows between attempts.
	Backoff Backoff
	// InitialDelay is the delay after the first failed attempt.
	InitialDelay time.Duration
	// MaxDelay caps every delay, jitter included.
	MaxDelay time.Duration
	// Jitter spreads each delay by ±25% (never above MaxDelay), so tasks
	// failing together do not retry in lockstep.
	Jitter bool
	// Condition selects which errors are retried.
	Condition RetryCondition
}

// Defaults of DefaultRetryPolicy, the same as those of the task annotation.
const (
	DefaultRetryAttempts = spec.DefaultRetryAttempts
	DefaultRetryDelay    = spec.DefaultRetryDelay
	DefaultRetryMaxDelay = spec.DefaultRetryMaxDelay
)

// DefaultRetryPolicy returns 3 attempts, exponential backoff from 1s capped at
// 30s, jitter on, every error retried: what a //cloacina:task without retry_
// keys gets.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{
		MaxAttempts:  DefaultRetryAttempts,
		Backoff:      BackoffExponential,
		InitialDelay: DefaultRetryDelay,
		MaxDelay:     DefaultRetryMaxDelay,
		Jitter:       spec.DefaultRetryJitter,
		Condition:    RetryCondition{Kind: RetryAll},
	}
}

// NoRetry returns a policy of a single attempt.
func NoRetry() RetryPolicy {
	p := DefaultRetryPolicy()
	p.MaxAttempts = 1
	return p
}

// Validate reports the first field that makes the policy unusable, by name.
func (p RetryPolicy) Validate() error {
	switch {
	case p.MaxAttempts < 1:
		return fmt.Errorf("MaxAttempts must be at least 1, got %d", p.MaxAttempts)
	case p.Backoff < BackoffExponential || p.Backoff > BackoffLinear:
		return fmt.Errorf("Backoff %d is not fixed, linear or exponential", int(p.Backoff))
	case p.InitialDelay < 0:
		return fmt.Errorf("InitialDelay must not be negative, got %s", p.InitialDelay)
	case p.MaxDelay < p.InitialDelay:
		return fmt.Errorf("MaxDelay (%s) must not be shorter than InitialDelay (%s)", p.MaxDelay, p.InitialDelay)
	case p.Condition.Kind < RetryAll || p.Condition.Kind > RetryPatterns:
		return fmt.Errorf("Condition.Kind %d is not all, never, transient or patterns", int(p.Condition.Kind))
	case p.Condition.Kind == RetryPatterns && len(p.Condition.Patterns) == 0:
		return errors.New("Condition.Patterns must not be empty for RetryPatterns")
	}
	for i, pat := range p.Condition.Patterns {
		if pat == "" {
			return fmt.Errorf("Condition.Patterns[%d] is empty", i)
		}
	}
	return nil
}

// ShouldRetry reports whether another attempt follows attempt (1-based)
// having failed with err.
func (p RetryPolicy) ShouldRetry(err error, attempt int) bool {
	return attempt < p.MaxAttempts && p.Condition.Matches(err)
}

// BaseDelay returns the delay before the attempt after attempt (1-based),
// without jitter: InitialDelay for fixed, InitialDelay×attempt for linear,
// InitialDelay×2^(attempt-1) for exponential, never above MaxDelay.
func (p RetryPolicy) BaseDelay(attempt int) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := p.InitialDelay
	switch p.Backoff {
	case BackoffLinear:
		if d > 0 && time.Duration(attempt) > p.MaxDelay/d {
			return p.MaxDelay
		}
		d *= time.Duration(attempt)
	case BackoffExponential:
		for i := 1; i < attempt; i++ {
			if d > p.MaxDelay/2 {
				return p.MaxDelay
			}
			d *= 2
		}
	}
	return min(d, p.MaxDelay)
}

// Delay returns the delay before the attempt after attempt (1-based):
// BaseDelay, spread by ±25% when Jitter is on, never above MaxDelay.
func (p RetryPolicy) Delay(attempt int) time.Duration {
	d := p.BaseDelay(attempt)
	if !p.Jitter || d <= 0 {
		return d
	}
	// factor in [0.75, 1.25)
	factor := 0.75 + rand.Float64()*0.5
	j := time.Duration(float64(d) * factor)
	return min(j, p.MaxDelay)
}
