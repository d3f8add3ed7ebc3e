package schema

import (
	"bytes"
	"context"
	"testing"
)

// TestHCLKeptByContent: a schema's HCL comes from hclTexts only for a
// schema that marshals to the same text. Two databases of one schema share
// a text; every kind of change drift reports, a column moved and checks
// added in another order, each of which changes the marshalled text,
// changes the key.
func TestHCLKeptByContent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixtureTenants(t, "u")
	srv, db, tenant, other := f.srv, f.db, f.tenant, f.other
	exec := func(st string) {
		t.Helper()
		if _, err := db.Exec(st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
	// read returns the key and the text marshalled now (not kept), and
	// checks that HCL answers the same text.
	read := func(database string) ([32]byte, []byte) {
		t.Helper()
		target, err := srv.Read(ctx, database)
		if err != nil {
			t.Fatal(err)
		}
		defer target.Close()
		live, err := target.Inspect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		s := copySchema(live.schema, placeholder)
		k := hclKey(live.engine, s)
		text, err := live.marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		got, err := live.HCL()
		if err != nil || !bytes.Equal(got, text) {
			t.Fatalf("%s: HCL answers another text than the marshal (%v)", database, err)
		}
		return k, text
	}
	k1, text1 := read(tenant)
	if k2, text2 := read(other); k2 != k1 || !bytes.Equal(text1, text2) {
		t.Fatalf("two databases of one schema: same key %v, same text %v", k2 == k1, bytes.Equal(text1, text2))
	}
	q := func(database, table string) string { return quoteIdent(database) + "." + quoteIdent(table) }
	// The same columns and checks, in another order in each database.
	exec("ALTER TABLE " + q(tenant, "fx_opts") + " ADD COLUMN moved int NULL FIRST")
	exec("ALTER TABLE " + q(other, "fx_opts") + " ADD COLUMN moved int NULL")
	exec("ALTER TABLE " + q(tenant, "fx_opts") + " ADD CONSTRAINT ck_b CHECK (moved > 1), ADD CONSTRAINT ck_a CHECK (moved < 9)")
	exec("ALTER TABLE " + q(other, "fx_opts") + " ADD CONSTRAINT ck_a CHECK (moved < 9), ADD CONSTRAINT ck_b CHECK (moved > 1)")
	prevKey, prevText := read(tenant)
	if k, text := read(other); bytes.Equal(text, prevText) || k == prevKey {
		t.Fatalf("a column in another place: another text %v, another key %v", !bytes.Equal(text, prevText), k != prevKey)
	}
	changed := 0
	for _, st := range outOfBandChanges(tenant) {
		exec(st)
		k, text := read(tenant)
		if !bytes.Equal(text, prevText) {
			changed++
			if k == prevKey {
				t.Errorf("%s: the text changed, the key did not", st)
			}
		}
		prevKey, prevText = k, text
	}
	// Most kinds of change are in Atlas's model; those it lacks are in
	// the DDL, which the HCL does not carry.
	if changed < len(outOfBandChanges(tenant))/2 {
		t.Fatalf("only %d of %d changes changed the text", changed, len(outOfBandChanges(tenant)))
	}
	t.Logf("%d of %d changes changed the text", changed, len(outOfBandChanges(tenant)))
}

// TestHCLTextsBounded: hclTexts keeps at most maxHCLTexts texts and
// maxHCLBytes bytes, the newest.
func TestHCLTextsBounded(t *testing.T) {
	t.Parallel()
	c := &hclCache{}
	text := bytes.Repeat([]byte("x"), maxHCLBytes/8)
	for i := range maxHCLTexts + 10 {
		c.put([32]byte{byte(i)}, text[:100+i])
		if len(c.texts) > maxHCLTexts {
			t.Fatalf("%d texts kept", len(c.texts))
		}
	}
	if _, ok := c.get([32]byte{byte(maxHCLTexts + 9)}); !ok {
		t.Fatal("the newest text is gone")
	}
	if _, ok := c.get([32]byte{0}); ok {
		t.Fatal("the oldest text is still kept")
	}
	for i := range 20 {
		c.put([32]byte{1, byte(i)}, text)
		if c.bytes > maxHCLBytes {
			t.Fatalf("%d bytes kept", c.bytes)
		}
	}
	b, ok := c.get([32]byte{1, 19})
	if !ok || !bytes.Equal(b, text) {
		t.Fatal("the newest large text is gone")
	}
	b[0] = 'y' // a copy: the kept text does not change
	if b2, _ := c.get([32]byte{1, 19}); b2[0] != 'x' {
		t.Fatal("get returned the kept text itself")
	}
}
