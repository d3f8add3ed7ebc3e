package main

import (
	"os/exec"
	"runtime"
	"testing"
)

// TestWatchPeak: a child's peak RSS is its own, not the bench's: a small
// child started after the bench grew to 200 MB reads small, a child that
// fills 80 MB reads at least that.
func TestWatchPeak(t *testing.T) {
	ballast := make([]byte, 200<<20)
	for i := range ballast {
		ballast[i] = 1
	}
	run := func(name string, args ...string) int64 {
		cmd := exec.Command(name, args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		var err error
		peak := watchPeak(cmd.Process.Pid, func() { err = cmd.Wait() })
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return peak
	}
	if kb := run("sleep", "0.2"); kb <= 0 || kb > 20<<10 {
		t.Errorf("sleep's peak: %d kB, want its own few MB", kb)
	}
	if kb := run("perl", "-e", `$x = "a" x (80*1024*1024); sleep 1`); kb < 80<<10 {
		t.Errorf("perl's peak: %d kB, want at least 80 MB", kb)
	}
	runtime.KeepAlive(ballast)
}
