package spec

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
)

// Trigger rule kinds, spelt as the annotation language writes them and as
// runtime.RuleKind.String returns them.
const (
	RuleAlways       = "always"
	RuleAll          = "all"
	RuleAny          = "any"
	RuleNone         = "none"
	RuleTaskSuccess  = "task_success"
	RuleTaskFailed   = "task_failed"
	RuleTaskSkipped  = "task_skipped"
	RuleContextValue = "context_value"
)

// RuleKinds returns every trigger rule kind, in documentation order.
func RuleKinds() []string {
	return []string{RuleAlways, RuleAll, RuleAny, RuleNone, RuleTaskSuccess, RuleTaskFailed, RuleTaskSkipped, RuleContextValue}
}

// Operators of context_value, spelt as the annotation language writes them
// and as runtime.ValueOp.String returns them.
const (
	OpEquals      = "equals"
	OpNotEquals   = "not_equals"
	OpGreaterThan = "greater_than"
	OpLessThan    = "less_than"
	OpContains    = "contains"
	OpNotContains = "not_contains"
	OpExists      = "exists"
	OpNotExists   = "not_exists"
)

// Ops returns every context_value operator, in documentation order.
func Ops() []string {
	return []string{OpEquals, OpNotEquals, OpGreaterThan, OpLessThan, OpContains, OpNotContains, OpExists, OpNotExists}
}

// OpTakesValue reports whether the operator compares with a literal: all do
// except exists and not_exists.
func OpTakesValue(op string) bool { return op != OpExists && op != OpNotExists }

// Backoffs, spelt as retry_backoff takes them and as runtime.Backoff.String
// returns them.
const (
	BackoffFixed       = "fixed"
	BackoffLinear      = "linear"
	BackoffExponential = "exponential"
)

// Backoffs returns every backoff, in documentation order.
func Backoffs() []string { return []string{BackoffFixed, BackoffLinear, BackoffExponential} }

// Retry conditions, spelt as retry_condition takes them (patterns is written
// as a quoted list instead) and as runtime.RetryConditionKind.String returns
// them.
const (
	ConditionAll       = "all"
	ConditionNever     = "never"
	ConditionTransient = "transient"
	ConditionPatterns  = "patterns"
)

// Conditions returns the retry conditions written as bare words: all, never
// and transient.
func Conditions() []string { return []string{ConditionAll, ConditionNever, ConditionTransient} }

// The retry policy of a task that sets none: the defaults of the retry_*
// keys of //cloacina:task and the fields of runtime.DefaultRetryPolicy.
const (
	DefaultRetryAttempts  = 3 // attempts in all, the first run included
	DefaultRetryBackoff   = BackoffExponential
	DefaultRetryDelay     = time.Second
	DefaultRetryMaxDelay  = 30 * time.Second
	DefaultRetryJitter    = true
	DefaultRetryCondition = ConditionAll
)

// Syntax of task ids and workflow names, for messages.
const (
	TaskIDSyntax       = "[A-Za-z_][A-Za-z0-9_-]*"
	WorkflowNameSyntax = "[A-Za-z][A-Za-z0-9_-]*"
)

// ValidTaskID reports whether s matches TaskIDSyntax.
func ValidTaskID(s string) bool { return validName(s, true) }

// ValidWorkflowName reports whether s matches WorkflowNameSyntax.
func ValidWorkflowName(s string) bool { return validName(s, false) }

// validName reports whether s is made of ASCII letters, digits, '_' and
// '-', and starts with a letter, or also '_' when underscore is set.
func validName(s string, underscore bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isLetter(c), i == 0 && underscore && c == '_':
		case i > 0 && (isDigit(c) || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// AnyTenant is the tenant of a workflow that names none: such a workflow
// runs in every tenant.
const AnyTenant = ""

// A tenant is a PostgreSQL schema, selected by the runner's Config.Schema;
// a workflow that names a tenant runs only there. Tenant names match
// TenantSyntax and are at most MaxTenantLen bytes long.
const (
	TenantSyntax = "[A-Za-z0-9_]+"
	MaxTenantLen = 40
)

// CheckTenant returns nil when name is a tenant name, and otherwise an error
// that quotes it and says what is wrong, for the caller to prefix with what
// it checked ("tenant: ", "Config.Schema: "). AnyTenant is not a name:
// callers that accept it test for it first.
func CheckTenant(name string) error {
	if name == "" {
		return errors.New("empty name")
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isLetter(c) && !isDigit(c) && c != '_' {
			r, _ := utf8.DecodeRuneInString(name[i:])
			return fmt.Errorf("%q has %q; use letters, digits and \"_\" (a tenant is a PostgreSQL schema)", name, string(r))
		}
	}
	if len(name) > MaxTenantLen {
		return fmt.Errorf("%q is %d characters long; the limit is %d", name, len(name), MaxTenantLen)
	}
	return nil
}
