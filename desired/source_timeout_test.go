package desired

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// A remote that accepts the connection and never answers fails the fetch
// within the timeout.
func TestFetchTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	start := time.Now()
	_, err = Open(context.Background(), Source{Repo: "http://" + l.Addr().String() + "/platform.git", CacheDir: t.TempDir(), Timeout: 500 * time.Millisecond})
	took := time.Since(start)
	var fe *FetchError
	if !errors.As(err, &fe) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want a FetchError of the deadline", err)
	}
	if took > 10*time.Second {
		t.Errorf("the fetch gave up after %s, timeout 500ms", took)
	}
	t.Logf("a remote that never answers failed after %s (timeout 500ms): %v", took.Round(time.Millisecond), err)
}
