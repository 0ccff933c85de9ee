// Command cloacina-vet is a go vet tool that reports what cloacina-gen
// would: errors in //cloacina: directives, in workflow graphs and in the
// data flow of context keys between tasks (with the warnings and notes of
// that check), and a cloacina_gen.go that is missing or out of date with
// its sources, which go build does not notice. See package
// github.com/cloacina-go/cloacina/internal/vet for the checks.
//
// Install it as a tool of your module and run it through go vet:
//
//	go get -tool github.com/cloacina-go/cloacina/cmd/cloacina-vet
//	go vet -vettool=$(go tool -n cloacina-vet) ./...
//
// or, with the binary on PATH (go install), go vet
// -vettool=$(which cloacina-vet) ./... . Misspelt keys and dependencies
// come with suggested fixes, which editors apply, and so does
//
//	go vet -vettool=$(go tool -n cloacina-vet) -fix ./...
package main

import (
	"golang.org/x/tools/go/analysis/unitchecker"

	"github.com/cloacina-go/cloacina/internal/vet"
)

func main() { unitchecker.Main(vet.Analyzer) }
