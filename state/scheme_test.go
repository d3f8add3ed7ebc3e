package state

import (
	"context"
	"os"
	"strings"
	"testing"
)

// A landlord database URL of a scheme landlord does not read is refused,
// not taken for an SQLite path (with its password as a directory name).
func TestUnknownSchemeRefused(t *testing.T) {
	dir := t.TempDir()
	wd, _ := os.Getwd()
	os.Chdir(dir)
	defer os.Chdir(wd)
	for _, dsn := range []string{"postgres://sp:SecretNoEnc99@127.0.0.1:5432/x", "mysqlx://sp:SecretNoEnc99@127.0.0.1:13511/x", "MYSQL://sp:SecretNoEnc99@127.0.0.1/x"} {
		for name, open := range map[string]func(context.Context, string) (*Store, error){"Open": Open, "OpenReadOnly": OpenReadOnly, "OpenExisting": OpenExisting} {
			st, err := open(context.Background(), dsn)
			if err == nil {
				st.Close()
			}
			if err == nil || !strings.Contains(err.Error(), "unknown scheme") || strings.Contains(err.Error(), "SecretNoEnc99") {
				t.Errorf("%s(%s): %v", name, dsn, err)
			}
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files left: %v", entries)
	}
}
