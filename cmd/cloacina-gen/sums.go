//go:build cloacina_sums

// This file is never built: no build sets the cloacina_sums tag. It exists
// because go get reads the imports of every file of a package, whatever its
// build tags, and records the checksums of the modules they need. So
// "go get -tool github.com/cloacina-go/cloacina/cmd/cloacina-gen" also
// records the checksums of the runtime's dependencies (the database drivers
// among them), which the code the generator writes needs to build, while
// the generator itself links none of them (see TestNoDatabaseDrivers).

package main

import _ "github.com/cloacina-go/cloacina/runtime"
