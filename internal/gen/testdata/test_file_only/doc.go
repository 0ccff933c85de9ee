// Package test_file_only declares its tasks in a test file only, which the
// generator refuses rather than ignores.
package test_file_only
