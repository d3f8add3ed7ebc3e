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
		{raw: "mysql://app@x/?Innodb_Lock_Wait_Timeout=5", net: "tcp", addr: "x:3306", user: "app", params: "innodb_lock_wait_timeout=5", timeout: DefaultTimeout},
		{raw: "mysql://app@x/?stallTimeout=1m&TLS=true", net: "tcp", addr: "x:3306", user: "app", timeout: DefaultTimeout, tls: "true"},
	} {
		cfg, db, _, err := Parse(tc.raw)
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
		"mysql://app:hunter2@db/?%40%40session.sql_mode=%27%27":          `unknown url parameter "@@session.sql_mode"`,
		"mysql://app:hunter2@db/?session%20sql_mode=%27%27":              `unknown url parameter "session sql_mode"`,
		"mysql://app:hunter2@db/?lock_wait_timeout=1,%20sql_mode=%27%27": "lock_wait_timeout: want a number, a word or a string",
		"mysql://app:hunter2@db/?time_zone=%27x%27%27,sql_mode=%27%27":   "time_zone: want a number, a word or a string",
		"mysql://app:hunter2@db/?time_zone=%27x%5C%27":                   "time_zone: want a number, a word or a string",
		"mysql://app:hunter2@db/?character_set_client=sjis":              "keep their own character set",
		"mysql://app:hunter2@db/?CHARSET=big5":                           "keep their own character set",
		"mysql://app:hunter2@db/?collation_connection=gbk_bin":           "keep their own character set",
		"mysql://app:hunter2@db/?names=gbk":                              "keep their own character set",
	} {
		_, _, _, err := Parse(raw)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: %v, want %q and no password", raw, err, want)
		}
	}
}

// A URL in landlord.yaml comes from git: it sets no session variable that
// would change what landlord's statements do, and no parameter of any
// other name.
func TestParseRefusesUnknownParameters(t *testing.T) {
	for _, p := range []string{
		"default_storage_engine=MEMORY",
		"foreign_key_checks=0",
		"unique_checks=0",
		"autocommit=0",
		"sql_log_bin=0",
		"storage_engine=MyISAM",
		"wait_timeout=1",
		"allowNativePasswords=false", // a driver option, never read from a url
	} {
		name, _, _ := strings.Cut(p, "=")
		_, _, _, err := Parse("mysql://root@127.0.0.1:3306/?" + p)
		if CredentialName(name) {
			name = "parameter " + name
		} else {
			name = "unknown url parameter " + name + ": landlord accepts tls,"
		}
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v, want an error naming %s", p, err, name)
		}
	}
}

// A parameter named like a credential is refused without its value in the
// error, whatever its case, alone or next to others.
func TestParseRefusesCredentials(t *testing.T) {
	for _, q := range []string{
		"password=S3CRET",
		"PASSWORD=S3CRET",
		"passwd=S3CRET",
		"pass=S3CRET",
		"pwd=S3CRET",
		"token=S3CRET",
		"api_key=S3CRET",
		"secret=S3CRET",
		"timeout=5s&Password=S3CRET&tls=true",
		"time_zone=S3CRET&password=S3CRET",
		"password%3DS3CRET=x",
		"password=S3CRET;x=1",
	} {
		_, _, _, err := Parse("mysql://root@127.0.0.1:3306/?" + q)
		if err == nil || strings.Contains(err.Error(), "S3CRET") {
			t.Errorf("%s: %v, want an error without the value", q, err)
		}
	}
}

func TestParseOptions(t *testing.T) {
	_, _, o, err := Parse("mysql://root@db/?connectTimeout=2s&readTimeout=3s&writeTimeout=4s&statementTimeout=5s&StallTimeout=6s")
	if err != nil {
		t.Fatal(err)
	}
	want := Options{ConnectTimeout: 2 * time.Second, ReadTimeout: 3 * time.Second, WriteTimeout: 4 * time.Second, StatementTimeout: 5 * time.Second, StallTimeout: 6 * time.Second}
	if o != want {
		t.Errorf("got %+v, want %+v", o, want)
	}
	if _, _, _, err := Parse("mysql://root@db/?stallTimeout=-1s"); err == nil || !strings.Contains(err.Error(), "stallTimeout: want a positive duration") {
		t.Errorf("stallTimeout=-1s: %v", err)
	}
}

func TestCredentialName(t *testing.T) {
	for name, want := range map[string]bool{
		"password": true, "PASSWORD": true, "passwd": true, "pass": true, "pwd": true, "token": true,
		"secret": true, "key": true, "api_key": true, "ApiKey": true, "auth_plugin": true, "credentials": true,
		"foreign_key_checks": false, "time_zone": false, "stallTimeout": false, "tls": false, "default_storage_engine": false,
	} {
		if got := CredentialName(name); got != want {
			t.Errorf("CredentialName(%q) = %t, want %t", name, got, want)
		}
	}
}
