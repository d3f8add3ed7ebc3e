package schema

import (
	"context"
	"strings"
	"testing"
	"time"
)

// A server URL sets landlord's own timeouts and a few harmless session
// variables; a variable that would change what landlord's statements do
// (MEMORY tables, no foreign key checks) is refused before connecting, and
// a credential in a parameter is refused without being repeated.
func TestServerURLParameters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := mariaURL(t)
	srv, err := Open(ctx, url+"?statementTimeout=7m&innodb_lock_wait_timeout=7&SQL_MODE=%27%27", ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if srv.opts.StatementTimeout != 7*time.Minute {
		t.Errorf("statement timeout %s, want 7m", srv.opts.StatementTimeout)
	}
	var wait int
	var mode string
	if err := srv.db.QueryRowContext(ctx, "SELECT @@SESSION.innodb_lock_wait_timeout, @@SESSION.sql_mode").Scan(&wait, &mode); err != nil {
		t.Fatal(err)
	}
	if wait != 7 || !strings.Contains(mode, "STRICT_ALL_TABLES") {
		t.Errorf("innodb_lock_wait_timeout %d, sql_mode %q: want 7 and landlord's strict mode", wait, mode)
	}
	for _, tc := range []struct{ param, want string }{
		{"default_storage_engine=MEMORY", "unknown url parameter default_storage_engine: landlord accepts"},
		{"foreign_key_checks=0", "unknown url parameter foreign_key_checks"},
		{"unique_checks=0", "unknown url parameter unique_checks"},
		{"autocommit=0", "unknown url parameter autocommit"},
		{"sql_log_bin=0", "unknown url parameter sql_log_bin"},
		{"password=S3CRET", "parameter password: a url parameter never holds a password"},
	} {
		for name, err := range map[string]error{
			"CheckURL": CheckURL(url + "?" + tc.param),
			"Open":     func() error { _, err := Open(ctx, url+"?"+tc.param, ServerOptions{}); return err }(),
		} {
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "S3CRET") {
				t.Errorf("%s ?%s: %v, want %q and no secret", name, tc.param, err, tc.want)
			}
		}
	}
}
