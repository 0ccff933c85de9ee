package sqlite

// RestartFrames is restartFrames, for tests.
const RestartFrames = restartFrames

// CheckVersion reads s's data version as its writer does between
// transactions, for tests that must know a read happened.
func CheckVersion(s *Store) { s.checkVersion() }
