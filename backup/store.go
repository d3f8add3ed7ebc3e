package backup

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob" // azblob://
	"gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/gcsblob" // gs://
	_ "gocloud.dev/blob/s3blob"  // s3://
	"gocloud.dev/gcerrors"

	"github.com/landlord/landlord/internal/redact"
)

// DefaultDir is where backups go when landlord.yaml names no location,
// relative to the repository.
const DefaultDir = ".landlord/backups"

// ErrNotFound is returned for a backup that does not exist or is not
// complete (it has no manifest).
var ErrNotFound = errors.New("backup not found")

// Storage is where backups are kept: a gocloud.dev/blob bucket.
type Storage struct {
	bucket *blob.Bucket
	where  string // redacted, for messages
	// dir is the directory of a storage on the local disk, whose empty
	// directories a deletion removes ("" for object storage).
	dir string
}

// Open opens the storage at location: a directory (created if missing),
// file:///DIR, s3://BUCKET/PREFIX, gs://BUCKET/PREFIX or
// azblob://CONTAINER/PREFIX. Object storage takes its credentials from the
// environment, as its SDK does; a URL with user information is refused so
// that no secret lands in landlord.yaml.
func Open(ctx context.Context, location string) (*Storage, error) {
	where := redact.URL(location)
	u, err := url.Parse(location)
	if err != nil || u.Scheme == "" || len(u.Scheme) == 1 { // a path, or a Windows drive letter
		b, err := fileblob.OpenBucket(location, &fileblob.Options{CreateDir: true, NoTempDir: true, Metadata: fileblob.MetadataDontWrite})
		if err != nil {
			return nil, fmt.Errorf("backup storage %s: %w", where, err)
		}
		return &Storage{bucket: b, where: where, dir: location}, nil
	}
	if u.User != nil {
		return nil, fmt.Errorf("backup storage %s: credentials come from the environment, never the URL", where)
	}
	switch u.Scheme {
	case "file", "s3", "gs", "azblob":
	default:
		return nil, fmt.Errorf("backup storage %s: want a directory, file://, s3://, gs:// or azblob://", where)
	}
	if u.Scheme == "file" {
		return Open(ctx, filepath.FromSlash(u.Path))
	}
	b, err := blob.OpenBucket(ctx, location)
	if err != nil {
		return nil, fmt.Errorf("backup storage %s: %s", where, redact.Text(err.Error()))
	}
	// The path after the bucket is a prefix inside it.
	if p := strings.Trim(u.Path, "/"); p != "" {
		b = blob.PrefixedBucket(b, p+"/")
	}
	return &Storage{bucket: b, where: where}, nil
}

// String returns the storage's location without credentials.
func (s *Storage) String() string { return s.where }

// Close closes the storage.
func (s *Storage) Close() error { return s.bucket.Close() }

// NewID returns a new backup ID for tenant: TENANT/STAMP, sorting by time.
func NewID(tenant string, at time.Time) (string, error) {
	if !slugRE.MatchString(tenant) {
		return "", fmt.Errorf("tenant %q: not a slug", tenant)
	}
	var r [4]byte
	if _, err := rand.Read(r[:]); err != nil {
		return "", err
	}
	return tenant + "/" + at.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(r[:]), nil
}

const manifestName = "manifest.json"

// writeManifest writes m as the backup's last object, which makes it
// complete.
func (s *Storage) writeManifest(ctx context.Context, m *Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return s.put(ctx, m.ID+"/"+manifestName, data)
}

func (s *Storage) put(ctx context.Context, key string, data []byte) (err error) {
	w, err := s.bucket.NewWriter(ctx, key, &blob.WriterOptions{ContentType: "application/json"})
	if err != nil {
		return s.wrap(err)
	}
	if _, err := w.Write(data); err != nil {
		w.Close()
		return s.wrap(err)
	}
	return s.wrap(w.Close())
}

func (s *Storage) wrap(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("backup storage %s: %s", s.where, redact.Text(err.Error()))
}

// Manifest reads the manifest of the complete backup id; ErrNotFound when
// there is none.
func (s *Storage) Manifest(ctx context.Context, id string) (*Manifest, error) {
	if _, _, err := ParseID(id); err != nil {
		return nil, err
	}
	r, err := s.bucket.NewReader(ctx, id+"/"+manifestName, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, fmt.Errorf("%w: %s (no manifest: it does not exist or was interrupted)", ErrNotFound, id)
	}
	if err != nil {
		return nil, s.wrap(err)
	}
	defer r.Close()
	var m Manifest
	if err := json.NewDecoder(io.LimitReader(r, 64<<20)).Decode(&m); err != nil {
		return nil, fmt.Errorf("backup %s: manifest: %w", id, err)
	}
	if m.Format != FormatVersion {
		return nil, fmt.Errorf("backup %s: format %d, this landlord reads %d", id, m.Format, FormatVersion)
	}
	if m.ID != id {
		return nil, fmt.Errorf("backup %s: manifest names %s", id, m.ID)
	}
	return &m, nil
}

// List returns the complete backups of tenant (every tenant when empty),
// newest first. A backup without a manifest is not listed.
func (s *Storage) List(ctx context.Context, tenant string) ([]*Manifest, error) {
	prefix := ""
	if tenant != "" {
		prefix = tenant + "/"
	}
	it := s.bucket.List(&blob.ListOptions{Prefix: prefix})
	var out []*Manifest
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, s.wrap(err)
		}
		id, ok := strings.CutSuffix(obj.Key, "/"+manifestName)
		if !ok {
			continue
		}
		if _, _, err := ParseID(id); err != nil {
			continue
		}
		m, err := s.Manifest(ctx, id)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Started.After(out[j].Started) })
	return out, nil
}

// Delete removes backup id: its manifest first, so that a delete cut short
// leaves an incomplete backup, never a listed one missing data.
func (s *Storage) Delete(ctx context.Context, id string) error {
	if _, _, err := ParseID(id); err != nil {
		return err
	}
	if err := s.bucket.Delete(ctx, id+"/"+manifestName); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return s.wrap(err)
	}
	return s.deleteObjects(ctx, id)
}

// deleteObjects removes every object of backup id, and on the local disk
// the directories it leaves empty.
func (s *Storage) deleteObjects(ctx context.Context, id string) error {
	it := s.bucket.List(&blob.ListOptions{Prefix: id + "/"})
	for {
		obj, err := it.Next(ctx)
		if err == io.EOF {
			s.removeEmptyDirs(id)
			return nil
		}
		if err != nil {
			return s.wrap(err)
		}
		if err := s.bucket.Delete(ctx, obj.Key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			return s.wrap(err)
		}
	}
}

// removeEmptyDirs removes the directory of backup id on the local disk
// and its parents up to the storage's own, while they are empty.
func (s *Storage) removeEmptyDirs(id string) {
	if s.dir == "" {
		return
	}
	root := filepath.Clean(s.dir)
	for d := filepath.Join(root, filepath.FromSlash(id)); d != root && strings.HasPrefix(d, root+string(filepath.Separator)); d = filepath.Dir(d) {
		if os.Remove(d) != nil {
			return // not empty, or gone
		}
	}
}
