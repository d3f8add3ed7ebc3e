//go:build race

package backup

// raceEnabled: the test binary is built with the race detector, which
// multiplies a process's memory; RSS is then measured in a helper built
// without it.
const raceEnabled = true
