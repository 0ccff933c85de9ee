// Package foreign_output keeps a hand-written file under the generator's
// file name; the generator must refuse to overwrite it.
package foreign_output

// Helper is the user's.
func Helper() {}
