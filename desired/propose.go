package desired

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"testing/fstest"
	"time"

	"github.com/go-git/go-billy/v5/memfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
	"gopkg.in/yaml.v3"

	"github.com/landlord/landlord/internal/redact"
)

// NewTenant is what the manifest of a tenant to be created says; empty
// fields are left out and take landlord.yaml's defaults.
type NewTenant struct {
	Slug     string   `yaml:"slug"`
	Name     string   `yaml:"name,omitempty"`
	Template string   `yaml:"template"`
	Modules  []string `yaml:"modules,omitempty,flow"`
	Server   string   `yaml:"server,omitempty"`
	Database string   `yaml:"database,omitempty"`
	Domain   string   `yaml:"domain,omitempty"`
}

// TenantFile is the path of slug's manifest, or an error when slug is not
// a valid slug (and so could name no file of tenants/).
func TenantFile(slug string) (string, error) {
	if !slugPattern.MatchString(slug) {
		return "", fmt.Errorf("invalid slug %q: 2 to 63 characters, lowercase letters, digits and dashes, starting with a letter", slug)
	}
	return "tenants/" + slug + ".yaml", nil
}

// YAML is t's manifest, as tenants/<slug>.yaml holds it. The values are
// encoded by the YAML library, never pasted: a name with quotes or a
// colon stays a name.
func (t NewTenant) YAML() ([]byte, error) {
	out, err := yaml.Marshal(t)
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return out, nil
}

// WithFile is fsys with one more file, name (slash-separated, relative to
// the root) holding data. A file fsys already has is refused with
// fs.ErrExist: WithFile never hides one.
func WithFile(fsys fs.FS, name string, data []byte) (fs.FS, error) {
	if !fs.ValidPath(name) || name == "." {
		return nil, &fs.PathError{Op: "add", Path: name, Err: fs.ErrInvalid}
	}
	if _, err := fs.Stat(fsys, name); err == nil {
		return nil, &fs.PathError{Op: "add", Path: name, Err: fs.ErrExist}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return &overlay{FS: fsys, name: name, file: fstest.MapFS{name: &fstest.MapFile{Data: data, Mode: 0o644, ModTime: time.Now()}}}, nil
}

// overlay is an fs.FS with one file added.
type overlay struct {
	fs.FS
	name string
	file fstest.MapFS
}

func (o *overlay) Open(name string) (fs.File, error) {
	if name == o.name {
		return o.file.Open(name)
	}
	return o.FS.Open(name)
}

func (o *overlay) Stat(name string) (fs.FileInfo, error) {
	if name == o.name {
		return o.file.Stat(name)
	}
	return fs.Stat(o.FS, name)
}

func (o *overlay) ReadDir(name string) ([]fs.DirEntry, error) {
	dir := path.Dir(o.name)
	entries, err := fs.ReadDir(o.FS, name)
	if name != dir {
		return entries, err
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	info, err := o.file.Stat(o.name)
	if err != nil {
		return nil, err
	}
	entries = append(entries, fs.FileInfoToDirEntry(info))
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, nil
}

// ErrBranchExists: the branch to push is on the remote already.
var ErrBranchExists = errors.New("the branch exists on the remote already")

// Proposal is one file to add on a new branch of the remote.
type Proposal struct {
	// Branch is the new branch, File the file it adds with Data.
	Branch, File string
	Data         []byte
	// Message and Author of the commit.
	Message, Author, Email string
	// Parent, when set, is the commit the file was checked against: Push
	// refuses to commit on another one (ErrMoved).
	Parent string
}

// ErrMoved: the head of the remote is not the commit a proposal was
// checked against.
var ErrMoved = errors.New("the repository moved since the check: check again")

// Push commits p on a new branch whose parent is the head of src (its Ref
// when it is a branch, else the remote's default branch), which must be
// p.Parent when that is set, and pushes the
// branch to src's remote with auth, within src.Timeout. It refuses a
// branch the remote has and a file the head has: it never overwrites. It
// returns the new commit.
func Push(ctx context.Context, src Source, auth Auth, p Proposal) (string, error) {
	if !IsRemote(src.Repo) {
		return "", fmt.Errorf("repository %s is a local directory, not a remote to push to", src.Repo)
	}
	method, err := auth.method(src.Repo)
	if err != nil {
		return "", err
	}
	timeout := src.Timeout
	if timeout <= 0 {
		timeout = DefaultGitTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	gitErr := func(what string, err error) error {
		if ctx.Err() == context.DeadlineExceeded {
			err = fmt.Errorf("no answer within %s (%w)", timeout, context.DeadlineExceeded)
		}
		return fmt.Errorf("%s %s: %w", what, redact.URL(src.Repo), redact.Error(err))
	}
	branch := plumbing.NewBranchReferenceName(p.Branch)
	if err := branch.Validate(); err != nil || strings.Contains(p.Branch, "..") {
		return "", fmt.Errorf("invalid branch name %q", p.Branch)
	}
	opts := &git.CloneOptions{URL: src.Repo, Auth: method, SingleBranch: true}
	if src.Ref != "" && plumbing.NewBranchReferenceName(src.Ref).Validate() == nil && !plumbing.IsHash(src.Ref) {
		opts.ReferenceName = plumbing.NewBranchReferenceName(src.Ref)
	}
	repo, err := git.CloneContext(ctx, memory.NewStorage(), memfs.New(), opts)
	if err != nil {
		return "", gitErr("clone", err)
	}
	if p.Parent != "" {
		head, err := repo.Head()
		if err != nil {
			return "", err
		}
		if head.Hash().String() != p.Parent {
			return "", fmt.Errorf("head %.12s, checked against %.12s: %w", head.Hash(), p.Parent, ErrMoved)
		}
	}
	remote, err := repo.Remote("origin")
	if err != nil {
		return "", err
	}
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: method})
	if err != nil {
		return "", gitErr("list", err)
	}
	for _, r := range refs {
		if r.Name() == branch {
			return "", fmt.Errorf("branch %s: %w", p.Branch, ErrBranchExists)
		}
	}
	wt, err := repo.Worktree()
	if err != nil {
		return "", err
	}
	if _, err := wt.Filesystem.Stat(p.File); err == nil {
		return "", fmt.Errorf("%s: %w", p.File, fs.ErrExist)
	}
	if err := wt.Filesystem.MkdirAll(path.Dir(p.File), 0o755); err != nil {
		return "", err
	}
	f, err := wt.Filesystem.Create(p.File)
	if err != nil {
		return "", err
	}
	if _, err := f.Write(p.Data); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	if _, err := wt.Add(p.File); err != nil {
		return "", err
	}
	sig := &object.Signature{Name: p.Author, Email: p.Email, When: time.Now()}
	hash, err := wt.Commit(p.Message, &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		return "", fmt.Errorf("commit: %w", err)
	}
	if err := repo.Storer.SetReference(plumbing.NewHashReference(branch, hash)); err != nil {
		return "", err
	}
	err = repo.PushContext(ctx, &git.PushOptions{RemoteName: "origin", Auth: method,
		RefSpecs: []config.RefSpec{config.RefSpec(branch.String() + ":" + branch.String())}})
	if err != nil {
		return "", gitErr("push to", err)
	}
	return hash.String(), nil
}
