package import_alias

// The package declares runtime and json, so the generated file must import
// those packages under other names.
var (
	runtime = "not the cloacina runtime"
	json    = "not encoding/json"
)
