package api

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	var tk Tokens
	if err := tk.Add(" ci:operate-0123456789abcdef , bare-operate-token-0123 ", ScopeOperate, "LANDLORD_TOKENS_OPERATE"); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "tokens")
	os.WriteFile(file, []byte("# tokens\n\nread grafana:read-0123456789abcdef\nread unnamed-read-token-0123\n"), 0o600)
	if err := tk.AddFile(file); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		presented, name string
		scope           Scope
	}{
		{"operate-0123456789abcdef", "ci", ScopeOperate},
		{"bare-operate-token-0123", "operate-2", ScopeOperate},
		{"read-0123456789abcdef", "grafana", ScopeRead},
		{"unnamed-read-token-0123", "read-line-4", ScopeRead},
	} {
		got, ok := tk.Lookup(c.presented)
		if !ok || got.Name != c.name || got.Scope != c.scope {
			t.Errorf("Lookup(%s) = %+v %v, want %s with %s", c.presented, got, ok, c.name, c.scope)
		}
	}
	for _, bad := range []string{"", "ci", "operate-0123456789abcdeF", "ci:operate-0123456789abcdef"} {
		if _, ok := tk.Lookup(bad); ok {
			t.Errorf("Lookup(%q) matched", bad)
		}
	}

	for _, c := range []struct{ list, want string }{
		{"short-token", "too short"},
		{"bad name!:0123456789abcdefgh", "token name"},
		{"a:0123456789abcdefgh,b:0123456789abcdefgh", "listed twice"},
		{"a:0123456789abcdefgh,a:0123456789abcdefgX", "two tokens are named"},
	} {
		var tk Tokens
		err := tk.Add(c.list, ScopeRead, "LANDLORD_TOKENS_READ")
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "LANDLORD_TOKENS_READ") {
			t.Errorf("Add(%q) = %v, want an error about %q naming the variable", c.list, err, c.want)
			continue
		}
		if strings.Contains(err.Error(), "0123456789abcdef") {
			t.Errorf("the error quotes a token: %v", err)
		}
	}
	os.WriteFile(file, []byte("read x:0123456789abcdefgh\nwrite y:0123456789abcdefgX\n"), 0o600)
	if err := (&Tokens{}).AddFile(file); err == nil || !strings.Contains(err.Error(), file+":2:") {
		t.Errorf("AddFile with a bad scope: %v, want the file and line", err)
	}
}
