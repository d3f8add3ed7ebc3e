package desired

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing/fstest"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"

	"github.com/landlord/landlord/internal/redact"
)

// Source says where the desired-state repository is.
type Source struct {
	// Repo is a local directory or a git URL (https://, ssh://, git@host:path,
	// file://).
	Repo string
	// Ref is a branch, tag or commit. For a local directory it reads that
	// revision of the directory's git repository instead of the files on
	// disk. Empty: the files on disk, or the remote's default branch.
	Ref string
	// CacheDir holds clones of remote repositories.
	CacheDir string
	// Auth for remote repositories.
	Auth Auth
	// Timeout bounds each clone, fetch and listing of a remote
	// repository; zero means DefaultGitTimeout.
	Timeout time.Duration
}

// DefaultGitTimeout bounds a clone, fetch or listing of a remote.
const DefaultGitTimeout = 2 * time.Minute

// Auth holds git credentials. They never print.
type Auth struct {
	// Token for HTTPS (sent as the password of basic auth).
	Token redact.Secret
	// Username for HTTPS with a token; "git" when empty.
	Username string
	// SSHKeyPath is a private key file for SSH URLs.
	SSHKeyPath string
}

// Checkout is one revision of the repository, ready to Load.
type Checkout struct {
	FS       fs.FS
	Revision string
	// Dir is the directory on disk when FS reads one, for messages.
	Dir string
}

// IsRemote reports whether repo names a git remote rather than a local
// directory.
func IsRemote(repo string) bool {
	if strings.Contains(repo, "://") {
		return true
	}
	// scp-like syntax: git@host:path
	if i := strings.Index(repo, ":"); i > 0 && strings.Contains(repo[:i], "@") && !strings.Contains(repo[:i], "/") {
		return true
	}
	return false
}

// Open makes the revision of the source readable: a local directory as it
// is on disk (revision: its commit if it is a clean git work tree, else a
// hash of its content), a revision of a local git repository (Ref), or a
// remote repository cloned into CacheDir and fetched.
func Open(ctx context.Context, src Source) (*Checkout, error) {
	if IsRemote(src.Repo) {
		return openRemote(ctx, src)
	}
	dir, err := filepath.Abs(src.Repo)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("repository %s: not a directory", src.Repo)
	}
	if src.Ref != "" {
		return openLocalRef(dir, src.Ref)
	}
	rev, err := dirRevision(dir)
	if err != nil {
		return nil, err
	}
	return &Checkout{FS: rootFS(dir), Revision: rev, Dir: dir}, nil
}

// dirRevision is the commit of a clean git work tree holding dir, or a
// content hash: "sha256:<hex>" outside git, "<commit>+dirty.<hex>" with
// uncommitted changes under dir.
func dirRevision(dir string) (string, error) {
	content, err := contentHash(rootFS(dir))
	if err != nil {
		return "", err
	}
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return "sha256:" + content, nil
	}
	head, err := repo.Head()
	if err != nil {
		return "sha256:" + content, nil
	}
	wt, err := repo.Worktree()
	if err != nil {
		return "sha256:" + content, nil
	}
	sub, err := filepath.Rel(wt.Filesystem.Root(), dir)
	if err != nil {
		return "sha256:" + content, nil
	}
	commit, err := repo.CommitObject(head.Hash())
	if err != nil {
		return "sha256:" + content, nil
	}
	// Compare the directory with the commit's tree rather than asking for a
	// status of the whole work tree: only the repository's own files count.
	tree, err := commit.Tree()
	if err == nil && sub != "." {
		tree, err = tree.Tree(filepath.ToSlash(sub))
	}
	if err != nil {
		return head.Hash().String() + "+dirty." + content[:12], nil
	}
	fsys, err := treeFS(tree)
	if err != nil {
		return head.Hash().String() + "+dirty." + content[:12], nil
	}
	committed, err := contentHash(fsys)
	if err != nil {
		return "", err
	}
	if committed == content {
		return head.Hash().String(), nil
	}
	return head.Hash().String() + "+dirty." + content[:12], nil
}

// loaded reports whether Load reads the file at p: manifests and layer
// files (.yaml, .hcl) and the layers' .csv data files.
func loaded(p string) bool {
	switch path.Ext(p) {
	case ".yaml", ".hcl":
		return true
	case ".csv":
		return IsDataFile(p)
	}
	return false
}

// fileLimit is the most Load reads of the file at p: a data file is read
// as a stream and may be larger than a manifest or a layer file.
func fileLimit(p string) int64 {
	if IsDataFile(p) {
		return MaxDataFileSize
	}
	return MaxLayerFileSize
}

// contentHash hashes the files that Load reads (.yaml, .hcl and the
// layers' .csv data files) by path and content.
func contentHash(fsys fs.FS) (string, error) {
	h := sha256.New()
	var paths []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != "." && strings.HasPrefix(d.Name(), ".") {
				return fs.SkipDir
			}
			return nil
		}
		if loaded(p) {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(paths)
	// One buffer for every file: io.Copy would allocate one per file (32
	// KiB each, 300 MB of garbage for 10,000 tenants).
	buf := make([]byte, 32<<10)
	for _, p := range paths {
		// Load refuses what cannot be read or is too large; the hash only
		// needs to change when the file does, in bounded memory.
		f, err := fsys.Open(p)
		var tooLarge *FileTooLargeError
		if errors.As(err, &tooLarge) {
			// Known too large from a git object's header: hashed as a
			// file on disk of that size is below, so that an oversize
			// file committed as it is leaves the work tree clean.
			fmt.Fprintf(h, "%s\x00too large\x00%d\x00", p, tooLarge.Size)
			continue
		}
		if err != nil {
			// Load reports why (a symlink out or in a loop, the bound of
			// the repository); the hash only has to change with it.
			fmt.Fprintf(h, "%s\x00unreadable\x00%v\x00", p, err)
			continue
		}
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > fileLimit(p) {
			// Load refuses it whatever it holds.
			f.Close()
			fmt.Fprintf(h, "%s\x00too large\x00%d\x00", p, st.Size())
			continue
		}
		fmt.Fprintf(h, "%s\x00", p)
		_, err = io.CopyBuffer(h, io.LimitReader(f, fileLimit(p)+1), buf)
		f.Close()
		if err != nil {
			return "", err
		}
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func openLocalRef(dir, ref string) (*Checkout, error) {
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true})
	if err != nil {
		return nil, fmt.Errorf("repository %s: --ref needs a git repository: %w", dir, err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return nil, err
	}
	sub, err := filepath.Rel(wt.Filesystem.Root(), dir)
	if err != nil {
		return nil, err
	}
	hash, err := resolve(repo, ref)
	if err != nil {
		return nil, err
	}
	return checkoutAt(repo, hash, filepath.ToSlash(sub))
}

func checkoutAt(repo *git.Repository, hash plumbing.Hash, sub string) (*Checkout, error) {
	commit, err := repo.CommitObject(hash)
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w", hash, err)
	}
	tree, err := commit.Tree()
	if err != nil {
		return nil, err
	}
	if sub != "." && sub != "" {
		if tree, err = tree.Tree(sub); err != nil {
			return nil, fmt.Errorf("commit %s has no directory %s", hash.String()[:12], sub)
		}
	}
	fsys, err := treeFS(tree)
	if err != nil {
		return nil, fmt.Errorf("commit %s: %w", hash.String()[:12], err)
	}
	return &Checkout{FS: fsys, Revision: hash.String()}, nil
}

// resolve finds ref as a local branch, remote branch, tag or commit hash.
func resolve(repo *git.Repository, ref string) (plumbing.Hash, error) {
	for _, name := range []string{
		"refs/remotes/origin/" + ref,
		"refs/heads/" + ref,
		"refs/tags/" + ref,
		ref,
	} {
		h, err := repo.ResolveRevision(plumbing.Revision(name))
		if err == nil {
			return *h, nil
		}
	}
	return plumbing.ZeroHash, fmt.Errorf("ref %q: no branch, tag or commit of that name", ref)
}

// treeFS reads a git tree as an fs.FS. The repository's manifests and layer
// files are small, so the tree is read into memory once; a blob larger
// than Load reads is never read at all: its size comes from the object's
// header, as go-git inflates the whole object before its Reader limits
// anything. A symlink is a git object too: one to a file of the tree reads
// that file, one that leaves the tree is ErrOutsideRepository, as it is
// for a directory on disk.
func treeFS(tree *object.Tree) (fs.FS, error) {
	g := gitFS{MapFS: fstest.MapFS{}, refuse: map[string]error{}}
	refuse := func(name string, err error) {
		g.refuse[name] = err
		g.MapFS[name] = &fstest.MapFile{Mode: 0o644}
	}
	var read int64
	walker := object.NewTreeWalker(tree, true, nil)
	defer walker.Close()
	for {
		name, entry, err := walker.Next()
		if err == io.EOF && name != "" {
			// go-git ends the walk at a directory whose tree object it
			// cannot read, and names it.
			err = fmt.Errorf("directory %s: %w", name, plumbing.ErrObjectNotFound)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			// A tree that cannot be read (an object missing or corrupt)
			// is no repository: what was read so far would lack the
			// layers after it, and a reconcile would take their tables
			// for ones to drop.
			return nil, fmt.Errorf("read the tree of the commit: %w", err)
		}
		if entry.Mode == filemode.Dir || entry.Mode == filemode.Submodule || !loaded(name) {
			continue
		}
		target, mode := name, entry.Mode
		// Follow symlinks inside the tree, as the file system would, a
		// few hops at most.
		var refused error
		for hops := 0; mode == filemode.Symlink && refused == nil; hops++ {
			link, err := readBlob(tree, target, 4096)
			var tooLarge *FileTooLargeError
			if errors.As(err, &tooLarge) {
				refused = syscall.ENAMETOOLONG
				break
			}
			if err != nil {
				refused = err
				break
			}
			resolved := path.Join(path.Dir(target), string(link))
			switch e, ferr := tree.FindEntry(resolved); {
			case path.IsAbs(string(link)) || !fs.ValidPath(resolved):
				refused = ErrOutsideRepository
			case hops == 8:
				refused = syscall.ELOOP
			case ferr != nil || e.Mode == filemode.Dir || e.Mode == filemode.Submodule:
				refused = fs.ErrNotExist
			default:
				target, mode = resolved, e.Mode
			}
		}
		if refused != nil {
			refuse(name, refused)
			continue
		}
		if read > MaxRepositorySize {
			// Listed, not read: Load reports it.
			refuse(name, ErrRepositoryTooLarge)
			continue
		}
		data, err := readBlob(tree, target, fileLimit(name))
		if err != nil {
			refuse(name, err)
			continue
		}
		read += int64(len(data))
		g.MapFS[name] = &fstest.MapFile{Data: data, Mode: 0o644}
	}
	return g, nil
}

// readBlob reads the blob of the file name of tree (a symlink's own blob
// for a symlink) if it holds at most limit bytes; a larger one is a
// *FileTooLargeError, known from the size in the object's header without
// inflating it.
func readBlob(tree *object.Tree, name string, limit int64) ([]byte, error) {
	size, err := tree.Size(name)
	if err != nil {
		return nil, err
	}
	if size > limit {
		return nil, &FileTooLargeError{Size: size, Limit: limit}
	}
	blob, err := tree.File(name)
	if err != nil {
		return nil, err
	}
	r, err := blob.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, limit+1))
}

// FileTooLargeError is the error of opening a file larger than landlord
// reads of its kind (see fileLimit); it is known before its content is
// read.
type FileTooLargeError struct {
	Size, Limit int64
}

func (e *FileTooLargeError) Error() string {
	return fmt.Sprintf("the file is larger than %d bytes, the most landlord reads of it", e.Limit)
}

// gitFS is a git tree read into memory, with the files it refuses to
// open: symlinks that leave the tree, loop or point to nothing, and files
// past MaxRepositorySize.
type gitFS struct {
	fstest.MapFS
	refuse map[string]error
}

// Open opens name, or returns why it is refused.
func (g gitFS) Open(name string) (fs.File, error) {
	if err := g.refuse[name]; err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return g.MapFS.Open(name)
}

// ReadFile reads name as Open does.
func (g gitFS) ReadFile(name string) ([]byte, error) {
	if err := g.refuse[name]; err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return g.MapFS.ReadFile(name)
}

func openRemote(ctx context.Context, src Source) (*Checkout, error) {
	cache := src.CacheDir
	if cache == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			dir = os.TempDir()
		}
		cache = filepath.Join(dir, "landlord", "repos")
	}
	// Credentials in the URL go with the requests, never into the
	// cache's name or its configuration on disk.
	remoteURL, urlAuth := withoutUserInfo(src.Repo)
	sum := sha256.Sum256([]byte(remoteURL))
	dir := filepath.Join(cache, hex.EncodeToString(sum[:8]))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cache directory: %w", err)
	}
	// Two landlord processes sharing a cache take turns.
	unlock, err := lockDir(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	auth, err := src.Auth.method(src.Repo)
	if err != nil {
		return nil, err
	}
	if auth == nil {
		auth = urlAuth
	}
	timeout := src.Timeout
	if timeout <= 0 {
		timeout = DefaultGitTimeout
	}
	// The network has the timeout; waiting for the cache's lock above
	// does not count.
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	gitErr := func(err error) error {
		if ctx.Err() == context.DeadlineExceeded {
			return fmt.Errorf("no answer within %s (%w)", timeout, context.DeadlineExceeded)
		}
		return redact.Error(err)
	}
	gitDir := filepath.Join(dir, "repo.git")
	repo, err := git.PlainOpen(gitDir)
	switch {
	case errors.Is(err, git.ErrRepositoryNotExists):
		repo, err = git.PlainCloneContext(ctx, gitDir, true, &git.CloneOptions{URL: remoteURL, Auth: auth, Tags: git.AllTags})
		if err != nil {
			// Nothing of a failed first clone stays in the cache: its
			// directory holds the lock file only.
			os.RemoveAll(gitDir)
			os.Remove(filepath.Join(dir, ".lock"))
			os.Remove(dir)
			return nil, &FetchError{Repo: redact.URL(src.Repo), Err: gitErr(err)}
		}
		// A bare clone maps branches to refs/heads; fetch them as remote
		// branches as well so that later fetches update them.
		fallthrough
	case err == nil:
		if err := forgetRemoteUserInfo(repo, remoteURL); err != nil {
			return nil, fmt.Errorf("open cache %s: %w", gitDir, err)
		}
		err = repo.FetchContext(ctx, &git.FetchOptions{
			RemoteName: "origin",
			Auth:       auth,
			RefSpecs:   []config.RefSpec{"+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"},
			Force:      true,
			Prune:      true,
		})
		if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
			return nil, &FetchError{Repo: redact.URL(src.Repo), Err: gitErr(err)}
		}
	default:
		return nil, fmt.Errorf("open cache %s: %w", gitDir, err)
	}
	ref := src.Ref
	var hash plumbing.Hash
	if ref == "" {
		head, err := remoteHead(ctx, repo, auth)
		if err != nil {
			if ctx.Err() == context.DeadlineExceeded {
				return nil, &FetchError{Repo: redact.URL(src.Repo), Err: gitErr(err)}
			}
			return nil, err
		}
		hash = head
	} else if hash, err = resolve(repo, ref); err != nil {
		return nil, err
	}
	co, err := checkoutAt(repo, hash, ".")
	if err != nil {
		return nil, err
	}
	return co, nil
}

// FetchError is a failure to reach or read the remote repository.
type FetchError struct {
	Repo string
	Err  error
}

func (e *FetchError) Error() string { return fmt.Sprintf("fetch %s: %v", e.Repo, e.Err) }
func (e *FetchError) Unwrap() error { return e.Err }

// remoteHead resolves the remote's default branch.
func remoteHead(ctx context.Context, repo *git.Repository, auth transport.AuthMethod) (plumbing.Hash, error) {
	remote, err := repo.Remote("origin")
	if err != nil {
		return plumbing.ZeroHash, err
	}
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: auth})
	if err != nil {
		return plumbing.ZeroHash, &FetchError{Repo: redact.URL(remote.Config().URLs[0]), Err: redact.Error(err)}
	}
	var target plumbing.ReferenceName
	for _, r := range refs {
		if r.Name() == plumbing.HEAD {
			if r.Type() == plumbing.SymbolicReference {
				target = r.Target()
			} else {
				return r.Hash(), nil
			}
		}
	}
	if target == "" {
		target = plumbing.NewBranchReferenceName("main")
	}
	for _, r := range refs {
		if r.Name() == target {
			return r.Hash(), nil
		}
	}
	return plumbing.ZeroHash, fmt.Errorf("remote has no default branch %s", target.Short())
}

// withoutUserInfo returns an http(s) repository URL without its user
// info, and the basic auth the user info gave (nil when none, or for
// another scheme: ssh's user is part of the address).
func withoutUserInfo(repo string) (string, transport.AuthMethod) {
	u, err := url.Parse(repo)
	if err != nil || u.User == nil || (u.Scheme != "http" && u.Scheme != "https") {
		return repo, nil
	}
	pw, ok := u.User.Password()
	user := u.User.Username()
	u.User = nil
	if !ok && user == "" {
		return u.String(), nil
	}
	return u.String(), &githttp.BasicAuth{Username: user, Password: pw}
}

// forgetRemoteUserInfo sets the URL of the cache's origin to remoteURL
// when it differs: a cache cloned from a URL with credentials kept them
// in its configuration.
func forgetRemoteUserInfo(repo *git.Repository, remoteURL string) error {
	cfg, err := repo.Config()
	if err != nil {
		return err
	}
	origin, ok := cfg.Remotes["origin"]
	if !ok || len(origin.URLs) == 1 && origin.URLs[0] == remoteURL {
		return nil
	}
	origin.URLs = []string{remoteURL}
	return repo.SetConfig(cfg)
}

func (a Auth) method(repo string) (transport.AuthMethod, error) {
	switch {
	case a.SSHKeyPath != "" && !strings.HasPrefix(repo, "http"):
		m, err := gitssh.NewPublicKeysFromFile("git", a.SSHKeyPath, "")
		if err != nil {
			return nil, fmt.Errorf("ssh key %s: %w", a.SSHKeyPath, err)
		}
		return m, nil
	case a.Token != "" && strings.HasPrefix(repo, "http"):
		user := a.Username
		if user == "" {
			user = "git"
		}
		return &githttp.BasicAuth{Username: user, Password: a.Token.Reveal()}, nil
	}
	return nil, nil
}

// lockDir takes an exclusive flock on dir/.lock.
func lockDir(ctx context.Context, dir string) (func(), error) {
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, err
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
