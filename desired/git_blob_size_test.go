package desired

import (
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// TestOversizeGitBlob: a committed layer file larger than landlord reads
// is an error naming it, at --ref and in a clean work tree alike, and its
// blob is never inflated: its size comes from the object's header. Where
// the blob's content is cut short after the header, any read of it fails,
// so the same error proves it was not read.
func TestOversizeGitBlob(t *testing.T) {
	const file = "layers/basic/big.hcl"
	big := bytes.Repeat([]byte("#"), 2<<20)
	for _, truncated := range []bool{false, true} {
		t.Run(fmt.Sprintf("truncated=%v", truncated), func(t *testing.T) {
			ctx := context.Background()
			repo := t.TempDir()
			for rel, content := range repoFS(map[string]string{file: string(big)}) {
				write(t, repo, rel, string(content.Data))
			}
			head := commitAll(t, repo)
			if truncated {
				cutBlob(t, repo, big)
			}

			co, err := Open(ctx, Source{Repo: repo, Ref: "main"})
			if err != nil {
				t.Fatal(err)
			}
			assertTooLarge(t, co, file)

			co, err = Open(ctx, Source{Repo: repo})
			if err != nil {
				t.Fatal(err)
			}
			if co.Revision != head.String() {
				t.Errorf("clean work tree with an oversize file: revision %s, want %s", co.Revision, head)
			}
			assertTooLarge(t, co, file)
		})
	}
}

func assertTooLarge(t *testing.T, co *Checkout, file string) {
	t.Helper()
	r, err := Load(co.FS, co.Revision, LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("larger than %d bytes", MaxLayerFileSize)
	for _, e := range r.Problems() {
		if e.File == file && strings.Contains(e.Msg, want) {
			return
		}
	}
	t.Errorf("no error in %s containing %q; got:\n%v", file, want, r.Problems())
}

// commitAll commits the files of dir, with go-git, on branch main.
func commitAll(t *testing.T, dir string) plumbing.Hash {
	t.Helper()
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		t.Fatal(err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		t.Fatal(err)
	}
	sig := &object.Signature{Name: "t", Email: "t@example.np", When: time.Unix(1e9, 0)}
	head, err := wt.Commit("one", &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		t.Fatal(err)
	}
	return head
}

// cutBlob rewrites the loose object of content so that it keeps its header
// (type and size) and only the first bytes of the content.
func cutBlob(t *testing.T, dir string, content []byte) {
	t.Helper()
	hash := plumbing.ComputeHash(plumbing.BlobObject, content).String()
	p := filepath.Join(dir, ".git", "objects", hash[:2], hash[2:])
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the blob is not a loose object: %v", err)
	}
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	fmt.Fprintf(zw, "blob %d\x00", len(content))
	zw.Write(content[:1024])
	zw.Flush() // not Close: the stream ends short, as a cut file does
	os.Remove(p)
	if err := os.WriteFile(p, buf.Bytes(), 0o444); err != nil {
		t.Fatal(err)
	}
}
