package schema

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"ariga.io/atlas/sql/mysql"
	atlas "ariga.io/atlas/sql/schema"
	gomysql "github.com/go-sql-driver/mysql"
)

// charsets is what a MySQL or MariaDB server knows of character sets and
// collations: the default collation of each character set, and the
// character set of each collation. A server's own is read from it once
// (information_schema.COLLATIONS and, on MariaDB 11.2+,
// @@character_set_collations, which overrides the defaults); offline plans
// use the built-in table of the packaged server (builtinCharsets), so a
// plan against the landlord database names the same collations as a live
// one.
type charsets struct {
	// defaults maps a character set to its default collation.
	defaults map[string]string
	// of maps a collation to its character set; nil for the built-in
	// tables (the character set is the collation's name up to its first
	// underscore, as for every collation the servers ship).
	of map[string]string
}

// mariadbDefaults are the default collations of MariaDB 10.11's character
// sets (information_schema.COLLATIONS, IS_DEFAULT).
var mariadbDefaults = map[string]string{
	"armscii8": "armscii8_general_ci", "ascii": "ascii_general_ci", "big5": "big5_chinese_ci", "binary": "binary",
	"cp1250": "cp1250_general_ci", "cp1251": "cp1251_general_ci", "cp1256": "cp1256_general_ci", "cp1257": "cp1257_general_ci",
	"cp850": "cp850_general_ci", "cp852": "cp852_general_ci", "cp866": "cp866_general_ci", "cp932": "cp932_japanese_ci",
	"dec8": "dec8_swedish_ci", "eucjpms": "eucjpms_japanese_ci", "euckr": "euckr_korean_ci", "gb2312": "gb2312_chinese_ci",
	"gbk": "gbk_chinese_ci", "geostd8": "geostd8_general_ci", "greek": "greek_general_ci", "hebrew": "hebrew_general_ci",
	"hp8": "hp8_english_ci", "keybcs2": "keybcs2_general_ci", "koi8r": "koi8r_general_ci", "koi8u": "koi8u_general_ci",
	"latin1": "latin1_swedish_ci", "latin2": "latin2_general_ci", "latin5": "latin5_turkish_ci", "latin7": "latin7_general_ci",
	"macce": "macce_general_ci", "macroman": "macroman_general_ci", "sjis": "sjis_japanese_ci", "swe7": "swe7_swedish_ci",
	"tis620": "tis620_thai_ci", "ucs2": "ucs2_general_ci", "ujis": "ujis_japanese_ci", "utf16": "utf16_general_ci",
	"utf16le": "utf16le_general_ci", "utf32": "utf32_general_ci", "utf8mb3": "utf8mb3_general_ci", "utf8mb4": "utf8mb4_general_ci",
}

// builtinCharsets returns the character sets of the packaged server of
// engine: MariaDB 10.11, or MySQL 8.0 (utf8mb4_0900_ai_ci by default, and
// gb18030). MariaDB 11.2+ defaults to the UCA 14.0 collations; version
// picks them.
func builtinCharsets(engine Engine, version string) *charsets {
	cs := &charsets{defaults: make(map[string]string, len(mariadbDefaults)+1)}
	for k, v := range mariadbDefaults {
		cs.defaults[k] = v
	}
	lower := strings.ToLower(version)
	switch {
	case engine == MariaDB || strings.Contains(lower, "mariadb"):
		if atLeast(lower, 11, 2) {
			cs.defaults["utf8mb4"] = "utf8mb4_uca1400_ai_ci"
			cs.defaults["utf8mb3"] = "utf8mb3_uca1400_ai_ci"
			cs.defaults["ucs2"] = "ucs2_uca1400_ai_ci"
			cs.defaults["utf16"] = "utf16_uca1400_ai_ci"
			cs.defaults["utf32"] = "utf32_uca1400_ai_ci"
		}
	default:
		cs.defaults["utf8mb4"] = "utf8mb4_0900_ai_ci"
		cs.defaults["gb18030"] = "gb18030_chinese_ci"
	}
	return cs
}

// atLeast reports whether a version string ("10.11.6-MariaDB", "8.0.36")
// is at least major.minor.
func atLeast(version string, major, minor int) bool {
	var ma, mi int
	if _, err := fmt.Sscanf(version, "%d.%d", &ma, &mi); err != nil {
		return false
	}
	return ma > major || ma == major && mi >= minor
}

// readCharsets reads the server's character sets and collations.
// rowQuerier is a connection the caller holds (a *sql.Conn), or a pool.
type rowQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func readCharsets(ctx context.Context, q rowQuerier) (*charsets, error) {
	rows, err := q.QueryContext(ctx, "SELECT COLLATION_NAME, CHARACTER_SET_NAME, IS_DEFAULT FROM information_schema.COLLATIONS")
	if err != nil {
		return nil, fmt.Errorf("read collations: %w", err)
	}
	defer rows.Close()
	cs := &charsets{defaults: map[string]string{}, of: map[string]string{}}
	for rows.Next() {
		var coll, set, def sql.NullString
		if err := rows.Scan(&coll, &set, &def); err != nil {
			return nil, fmt.Errorf("read collations: %w", err)
		}
		if !coll.Valid || !set.Valid {
			continue
		}
		cs.of[coll.String] = set.String
		if strings.EqualFold(def.String, "yes") {
			cs.defaults[set.String] = coll.String
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read collations: %w", err)
	}
	rows.Close()
	// MariaDB 11.2+: @@character_set_collations ("utf8mb4=utf8mb4_uca1400_ai_ci,...")
	// overrides IS_DEFAULT for the server's own defaults.
	var over sql.NullString
	err = q.QueryRowContext(ctx, "SELECT @@character_set_collations").Scan(&over)
	var me *gomysql.MySQLError
	switch {
	case errors.As(err, &me) && me.Number == 1193: // unknown system variable
	case err != nil:
		return nil, fmt.Errorf("read character_set_collations: %w", err)
	}
	for _, pair := range strings.Split(over.String, ",") {
		set, coll, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if ok && set != "" && coll != "" {
			cs.defaults[set] = coll
			cs.of[coll] = set
		}
	}
	return cs, nil
}

// charset returns the server's name of a character set: utf8 is utf8mb3
// wherever the server knows utf8mb3 (MariaDB 10.6+, MySQL 8.0.30+, and the
// built-in tables), as SHOW CREATE TABLE and information_schema spell it.
func (cs *charsets) charset(name string) string {
	name = strings.ToLower(name)
	if name == "utf8" {
		if _, ok := cs.defaults["utf8mb3"]; ok {
			return "utf8mb3"
		}
	}
	return name
}

// collation returns the server's name of a collation: utf8_* is
// utf8mb3_* (see charset).
func (cs *charsets) collation(name string) string {
	name = strings.ToLower(name)
	if rest, ok := strings.CutPrefix(name, "utf8_"); ok {
		if _, known := cs.defaults["utf8mb3"]; known {
			return "utf8mb3_" + rest
		}
	}
	return name
}

// charsetOf returns the character set of a collation.
func (cs *charsets) charsetOf(collation string) (string, bool) {
	if cs.of != nil {
		set, ok := cs.of[collation]
		return set, ok
	}
	if collation == "binary" {
		return "binary", true
	}
	set, _, ok := strings.Cut(collation, "_")
	if !ok {
		return "", false
	}
	_, known := cs.defaults[set]
	return set, known
}

// pair completes and checks a character set and collation, either of
// which may be empty: the missing half is the server's default pairing,
// aliases take the server's names. Both empty stay empty (inherited).
func (cs *charsets) pair(charset, collation string) (string, string, error) {
	if charset == "" && collation == "" {
		return "", "", nil
	}
	if charset != "" {
		charset = cs.charset(charset)
		if _, ok := cs.defaults[charset]; !ok {
			return "", "", fmt.Errorf("unknown character set %q", charset)
		}
	}
	if collation != "" {
		collation = cs.collation(collation)
		of, ok := cs.charsetOf(collation)
		if !ok {
			return "", "", fmt.Errorf("unknown collation %q", collation)
		}
		if charset != "" && of != charset {
			return "", "", fmt.Errorf("collation %s is not valid for character set %s (it belongs to %s)", collation, charset, of)
		}
		return of, collation, nil
	}
	return charset, cs.defaults[charset], nil
}

// resolveCharsets makes the character sets and collations of s explicit,
// as the server resolves them: the schema's own (completed by pair), each
// table's (its own, else the schema's) and each character column's (its
// own, else its table's), with the server's names. Once resolved, a
// change of a default (the database's collation in landlord.yaml) is a
// change of every table and column that follows it, so one reconcile
// converges; and "utf8" in a layer equals "utf8mb3" live. Inspected
// schemas are explicit already, and resolving them changes nothing.
func resolveCharsets(s *atlas.Schema, cs *charsets) error {
	set, coll, err := resolveAttrs(&s.Attrs, "", "", cs)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	for _, t := range s.Tables {
		tset, tcoll, err := resolveAttrs(&t.Attrs, set, coll, cs)
		if err != nil {
			return &objectError{key: objectKey{Kind: "table", Table: t.Name}, err: fmt.Errorf("table %s: %w", t.Name, err)}
		}
		for _, c := range t.Columns {
			if c.Type == nil || !hasCharset(c.Type.Type) {
				continue
			}
			if _, _, err := resolveAttrs(&c.Attrs, tset, tcoll, cs); err != nil {
				return &objectError{key: objectKey{Kind: "column", Table: t.Name, Name: c.Name}, err: fmt.Errorf("column %s.%s: %w", t.Name, c.Name, err)}
			}
		}
	}
	return nil
}

// objectError is an error of one object of a schema: a plan names the
// layer file that declared it, when it is the desired schema's.
type objectError struct {
	key objectKey
	err error
}

func (e *objectError) Error() string { return e.err.Error() }
func (e *objectError) Unwrap() error { return e.err }

// resolveAttrs completes the Charset and Collation attributes of attrs,
// inheriting set and coll when it has neither, and returns them.
func resolveAttrs(attrs *[]atlas.Attr, set, coll string, cs *charsets) (string, string, error) {
	var (
		ch *atlas.Charset
		co *atlas.Collation
	)
	for _, a := range *attrs {
		switch a := a.(type) {
		case *atlas.Charset:
			ch = a
		case *atlas.Collation:
			co = a
		}
	}
	var haveSet, haveColl string
	if ch != nil {
		haveSet = ch.V
	}
	if co != nil {
		haveColl = co.V
	}
	if haveSet == "" && haveColl == "" {
		haveSet, haveColl = set, coll
	}
	s, c, err := cs.pair(haveSet, haveColl)
	if err != nil || s == "" {
		return s, c, err
	}
	// The attributes are replaced, never written through: they may be
	// shared with another copy of the schema.
	out := make([]atlas.Attr, 0, len(*attrs)+2)
	for _, a := range *attrs {
		switch a.(type) {
		case *atlas.Charset, *atlas.Collation:
		default:
			out = append(out, a)
		}
	}
	*attrs = append(out, &atlas.Charset{V: s}, &atlas.Collation{V: c})
	return s, c, nil
}

// hasCharset reports whether a column type has a character set.
func hasCharset(t atlas.Type) bool {
	switch t.(type) {
	case *atlas.StringType, *atlas.EnumType, *mysql.SetType:
		return true
	}
	return false
}

// unicodeCharsets hold every character; bmpCharsets every character of
// the basic multilingual plane.
var (
	unicodeCharsets = map[string]bool{"utf8mb4": true, "utf16": true, "utf16le": true, "utf32": true, "gb18030": true}
	bmpCharsets     = map[string]bool{"utf8mb3": true, "ucs2": true}
)

// charsetNarrowing returns why converting text from one character set to
// another can lose characters, or "" when every character of from exists
// in to.
func charsetNarrowing(from, to string) string {
	switch {
	case from == to || from == "" || to == "":
		return ""
	case unicodeCharsets[to]:
		return ""
	case bmpCharsets[to] && !unicodeCharsets[from]:
		return ""
	}
	return fmt.Sprintf("characters of %s that %s cannot hold are lost", from, to)
}
