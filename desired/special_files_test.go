package desired

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSpecialFilesRefused: a FIFO or a socket in the work tree, where
// landlord reads a manifest, a layer file or a data file, is an error
// naming the file, never opened: opening a FIFO blocks until a writer
// comes, and none does.
func TestSpecialFilesRefused(t *testing.T) {
	cases := []struct {
		name string
		// file is made a FIFO (or socket) in a copy of repoFS.
		file   string
		socket bool
	}{
		{name: "tenant manifest", file: "tenants/x.yaml"},
		{name: "layer file", file: "layers/custom/acme/x.hcl"},
		{name: "data file", file: "layers/custom/acme/data/things.csv"},
		{name: "landlord.yaml", file: "landlord.yaml"},
		{name: "module manifest", file: "layers/modules/election/module.yaml"},
		{name: "socket", file: "layers/custom/acme/sock.hcl", socket: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// A socket's path is bounded (108 bytes): keep it short.
			repo, err := os.MkdirTemp("", "ll")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(repo) })
			for rel, content := range repoFS(nil) {
				if rel != tc.file {
					write(t, repo, rel, string(content.Data))
				}
			}
			p := filepath.Join(repo, filepath.FromSlash(tc.file))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if tc.socket {
				l, err := net.Listen("unix", p)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { l.Close() })
			} else if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Fatal(err)
			}

			done := make(chan []*ManifestError, 1)
			go func() {
				co, err := Open(context.Background(), Source{Repo: repo})
				if err != nil {
					t.Error(err)
					done <- nil
					return
				}
				r, err := Load(co.FS, co.Revision, LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }})
				if err != nil {
					t.Error(err)
					done <- nil
					return
				}
				done <- r.Problems()
			}()
			var problems []*ManifestError
			select {
			case problems = <-done:
			case <-time.After(20 * time.Second):
				// Not a timing assertion: without the fix the open never
				// returns.
				t.Fatalf("Open and Load of a repository with %s as a special file did not return", tc.file)
			}
			var found bool
			for _, e := range problems {
				found = found || (e.File == tc.file && strings.Contains(e.Msg, "not a regular file"))
			}
			if !found {
				t.Errorf("no error naming %s as not a regular file; got:\n%v", tc.file, problems)
			}
		})
	}
}
