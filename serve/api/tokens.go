package api

import (
	"bufio"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Scope is what a token may do.
type Scope int

// Scopes, each including the ones before it.
const (
	// ScopeRead reads status, tenants, runs and revisions.
	ScopeRead Scope = iota + 1
	// ScopeOperate also triggers reconciles and repairs.
	ScopeOperate
)

func (s Scope) String() string {
	switch s {
	case ScopeRead:
		return "read"
	case ScopeOperate:
		return "operate"
	}
	return "none"
}

func parseScope(s string) (Scope, bool) {
	switch s {
	case "read":
		return ScopeRead, true
	case "operate":
		return ScopeOperate, true
	}
	return 0, false
}

// Token is an API token: its name (recorded as the actor of the runs it
// asks for) and scope. The token itself is kept only as a hash.
type Token struct {
	Name  string
	Scope Scope
	hash  [sha256.Size]byte
}

// Tokens are the API's bearer tokens.
type Tokens struct {
	list []Token
}

var tokenName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._@-]{0,62}$`)

// Add adds the tokens of a comma-separated list of "token" or
// "name:token" (the form of LANDLORD_TOKENS_READ and
// LANDLORD_TOKENS_OPERATE) with scope. An unnamed token is named after its
// scope and position ("operate-2"). where names the list in errors, which
// never quote a token.
func (t *Tokens) Add(list string, scope Scope, where string) error {
	n := 0
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		n++
		if err := t.add(item, scope, fmt.Sprintf("%s-%d", scope, n)); err != nil {
			return fmt.Errorf("%s, token %d: %w", where, n, err)
		}
	}
	return nil
}

// AddFile adds the tokens of a file: one per line, "SCOPE TOKEN" or
// "SCOPE NAME:TOKEN" with SCOPE read or operate; blank lines and lines
// starting with # are ignored.
func (t *Tokens) AddFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("tokens file: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Fields(text)
		scope, ok := parseScope(fields[0])
		if len(fields) != 2 || !ok {
			return fmt.Errorf("%s:%d: want \"read|operate [NAME:]TOKEN\"", path, line)
		}
		if err := t.add(fields[1], scope, fmt.Sprintf("%s-line-%d", scope, line)); err != nil {
			return fmt.Errorf("%s:%d: %w", path, line, err)
		}
	}
	return sc.Err()
}

func (t *Tokens) add(item string, scope Scope, defaultName string) error {
	name, secret := defaultName, item
	if n, s, ok := strings.Cut(item, ":"); ok {
		name, secret = n, s
		if !tokenName.MatchString(name) {
			return fmt.Errorf("token name %q: want letters, digits, '.', '_', '@' or '-'", name)
		}
	}
	if len(secret) < 16 {
		return fmt.Errorf("token %q is too short: at least 16 characters", name)
	}
	h := sha256.Sum256([]byte(secret))
	for _, o := range t.list {
		if o.hash == h {
			return fmt.Errorf("token %q is listed twice (also as %q)", name, o.Name)
		}
		if o.Name == name {
			return fmt.Errorf("two tokens are named %q", name)
		}
	}
	t.list = append(t.list, Token{Name: name, Scope: scope, hash: h})
	return nil
}

// Len returns the number of tokens.
func (t *Tokens) Len() int {
	if t == nil {
		return 0
	}
	return len(t.list)
}

// Lookup finds the token presented. It compares hashes in constant time
// and looks at every token whatever matches, so the time taken says
// nothing about which tokens exist.
func (t *Tokens) Lookup(presented string) (Token, bool) {
	if t == nil || presented == "" {
		return Token{}, false
	}
	h := sha256.Sum256([]byte(presented))
	var found Token
	match := 0
	for _, tok := range t.list {
		eq := subtle.ConstantTimeCompare(h[:], tok.hash[:])
		if eq == 1 {
			found = tok
		}
		match |= eq
	}
	return found, match == 1
}
