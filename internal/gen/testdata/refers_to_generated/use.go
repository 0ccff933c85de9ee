package refers_to_generated

// Describe uses the identifiers the generated file declares; the generator
// must not reject the package because they are not declared yet.
func Describe() string {
	return RefersToGeneratedWorkflow.Name() + "@" + RefersToGeneratedVersion + " " + string(rune('0'+len(RefersToGeneratedGraph)))
}
