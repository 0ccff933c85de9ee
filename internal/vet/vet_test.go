package vet_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/cloacina-go/cloacina/internal/vet"
)

// The test packages import a stand-in for the runtime package
// (testdata/src/github.com/cloacina-go/cloacina/runtime) with the API the
// analyzer recognises.

func TestDataFlowAndGraph(t *testing.T) {
	// The suggested fixes rewrite the misspelt key and dependency; the
	// .golden files hold the results.
	analysistest.RunWithSuggestedFixes(t, analysistest.TestData(), vet.Analyzer, "flow", "graph")
}

func TestGeneratedCode(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), vet.Analyzer, "stale", "missing")
}
