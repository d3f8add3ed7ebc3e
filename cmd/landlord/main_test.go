package main

import (
	"bytes"
	"context"
	"testing"
)

// landlord runs the command line in-process and returns what it printed
// and its exit code.
func landlord(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), code
}
