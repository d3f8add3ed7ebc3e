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
		{raw: "mysql://app@x/?time_zone=%27%2B00:00%27", net: "tcp", addr: "x:3306", user: "app", params: "time_zone='+00:00'", timeout: DefaultTimeout},
		{raw: "mysql://app@x/?max_statement_time=2.5", net: "tcp", addr: "x:3306", user: "app", params: "max_statement_time=2.5", timeout: DefaultTimeout},
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
		// A parameter is sent in a SET on each connection: neither its
		// name nor its value may carry SQL, nor change the character
		// set literals are escaped for.
		"mysql://app:hunter2@db/?%40%40session.sql_mode=%27%27":        "want the name of a system variable",
		"mysql://app:hunter2@db/?session%20sql_mode=%27%27":            "want the name of a system variable",
		"mysql://app:hunter2@db/?wait_timeout=1,%20sql_mode=%27%27":    "wait_timeout: want a number, a word or a string",
		"mysql://app:hunter2@db/?time_zone=%27x%27%27,sql_mode=%27%27": "time_zone: want a number, a word or a string",
		"mysql://app:hunter2@db/?time_zone=%27x%5C%27":                 "time_zone: want a number, a word or a string",
		"mysql://app:hunter2@db/?character_set_client=sjis":            "keep their own character set",
		"mysql://app:hunter2@db/?CHARSET=big5":                         "keep their own character set",
		"mysql://app:hunter2@db/?collation_connection=gbk_bin":         "keep their own character set",
		"mysql://app:hunter2@db/?names=gbk":                            "keep their own character set",
	} {
		_, _, err := Parse(raw)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: %v, want %q and no password", raw, err, want)
		}
	}
}
