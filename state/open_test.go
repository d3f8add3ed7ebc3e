package state

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenBadSQLitePath: a --state that is a directory or not an SQLite
// file says so in words, not with SQLite's result code.
func TestOpenBadSQLitePath(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notDB, []byte("not a database, and long enough to have a header of its own........................................"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path, want string
	}{
		{"directory", dir, "landlord database " + dir + ": is a directory; --state names an SQLite file"},
		{"not a database", notDB, "landlord database " + notDB + ": the file is not an SQLite database"},
	} {
		for open, fn := range map[string]func(context.Context, string) (*Store, error){"Open": Open, "OpenReadOnly": OpenReadOnly, "OpenExisting": OpenExisting} {
			st, err := fn(context.Background(), tc.path)
			if err == nil {
				st.Close()
				t.Errorf("%s %s: no error", open, tc.name)
				continue
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "(14)") || strings.Contains(err.Error(), "(26)") {
				t.Errorf("%s %s: %v, want %q", open, tc.name, err, tc.want)
			}
		}
	}
}

// TestOpenMySQLURLParameters: the landlord database's URL takes the
// parameters of a server URL (one parser): a bad ?timeout= is an error
// before any connection, and no error holds the password.
func TestOpenMySQLURLParameters(t *testing.T) {
	for raw, want := range map[string]string{
		"mysql://app:hunter2@127.0.0.1:1/landlord?timeout=soon": `timeout "soon": want a duration`,
		"mysql://app:hunter2@127.0.0.1:1/landlord?tls=maybe":    `tls "maybe"`,
		"mysql://app:hunter2@127.0.0.1:1/":                      "the url must name a database",
	} {
		st, err := Open(context.Background(), raw)
		if err == nil {
			st.Close()
			t.Errorf("%s: no error", raw)
			continue
		}
		if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: %v, want %q and no password", raw, err, want)
		}
	}
}
