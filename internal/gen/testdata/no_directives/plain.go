// Package no_directives mentions cloacina in prose only: nothing to do.
package no_directives

// Sum adds; see the cloacina docs for workflows.
func Sum(a, b int) int { return a + b }
