package mysqlurl

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		raw              string
		net, addr, user  string
		database, params string
		timeout          time.Duration
		tls              string
	}{
		{raw: "mysql://root@127.0.0.1/", net: "tcp", addr: "127.0.0.1:3306", user: "root", timeout: DefaultTimeout},
		{raw: "mariadb://app:s3cret@db:3307/landlord?timeout=2s&tls=skip-verify", net: "tcp", addr: "db:3307", user: "app", database: "landlord", timeout: 2 * time.Second, tls: "skip-verify"},
		{raw: "mysql://app@x/?socket=/run/mysqld.sock&sql_mode=ANSI", net: "unix", addr: "/run/mysqld.sock", user: "app", params: "sql_mode=ANSI", timeout: DefaultTimeout},
	} {
		cfg, db, err := Parse(tc.raw)
		if err != nil {
			t.Errorf("%s: %v", tc.raw, err)
			continue
		}
		params := ""
		for k, v := range cfg.Params {
			params = k + "=" + v
		}
		if cfg.Net != tc.net || cfg.Addr != tc.addr || cfg.User != tc.user || db != tc.database || params != tc.params || cfg.Timeout != tc.timeout || cfg.TLSConfig != tc.tls {
			t.Errorf("%s: %s %s %s db %q params %q timeout %s tls %q", tc.raw, cfg.Net, cfg.Addr, cfg.User, db, params, cfg.Timeout, cfg.TLSConfig)
		}
	}
	for raw, want := range map[string]string{
		"mysql://app:hunter2@db:notaport/":     `invalid port ":notaport" after host`,
		"mysql://app:hunter2@db/?timeout=soon": `timeout "soon"`,
		"mysql://app:hunter2@db/?tls=maybe":    `tls "maybe"`,
		"mysql://app:hunter2@db/x;drop":        "invalid database name",
		"mysql://app:hunter2@/":                "no host",
		"postgres://app:hunter2@db/":           "not a mysql://",
	} {
		_, _, err := Parse(raw)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: %v, want %q and no password", raw, err, want)
		}
	}
}
