package main

import (
	"os"
	"testing"
)

// TestMain lets the tests run landlord as a real process: with
// LANDLORD_TEST_MAIN=1 the test binary is landlord itself (same build,
// with -race when the tests have it), so a test can start `serve`, signal
// it and watch it exit.
func TestMain(m *testing.M) {
	if os.Getenv("LANDLORD_TEST_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}
