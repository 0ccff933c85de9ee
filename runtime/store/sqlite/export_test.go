package sqlite

// RestartFrames is restartFrames, for tests.
const RestartFrames = restartFrames
