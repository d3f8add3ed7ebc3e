package schema

import (
	"crypto/sha256"
	"io"
	"slices"
	"sync"

	atlas "ariga.io/atlas/sql/schema"
)

// hclKeyVersion starts every key of hclTexts; it changes whenever the key's
// encoding or the marshal does.
const hclKeyVersion = "landlord hcl key 1\n"

// hclKey is the key of a schema's HCL in hclTexts: its engine and its
// canonical form in the database's own order (writeCanonical of the
// schema unsorted: every field of Atlas's model, which is all the marshal
// reads), with the order of each table's checks, which the canonical form
// writes sorted among the table's attributes and the HCL in order. Two
// schemas of one key marshal to the same text.
func hclKey(engine Engine, s *atlas.Schema) [sha256.Size]byte {
	h := sha256.New()
	io.WriteString(h, hclKeyVersion)
	io.WriteString(h, string(engine)+"\n")
	writeCanonical(h, s)
	for _, t := range s.Tables {
		io.WriteString(h, "\nchecks of "+t.Name+":")
		for _, a := range t.Attrs {
			if c, ok := a.(*atlas.Check); ok {
				io.WriteString(h, " "+c.Name)
			}
		}
	}
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// hclTexts keeps the HCL of the schemas marshalled last: the tenants of a
// fleet have few schemas, and a snapshot or a backup of each marshals its
// schema (8 ms for 30 tables, most of it formatting). At most maxHCLTexts
// texts of maxHCLBytes in all are kept; the oldest go first.
var hclTexts = &hclCache{}

const (
	maxHCLTexts = 64
	maxHCLBytes = 16 << 20
)

type hclCache struct {
	mu    sync.Mutex
	texts map[[sha256.Size]byte][]byte
	order [][sha256.Size]byte // oldest first
	bytes int
}

// get returns a copy of the text of k.
func (c *hclCache) get(k [sha256.Size]byte) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.texts[k]
	return slices.Clone(b), ok
}

// put keeps a copy of text under k, within the bounds.
func (c *hclCache) put(k [sha256.Size]byte, text []byte) {
	if len(text) > maxHCLBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.texts == nil {
		c.texts = map[[sha256.Size]byte][]byte{}
	}
	if _, ok := c.texts[k]; ok {
		return
	}
	for len(c.order) > 0 && (len(c.order) >= maxHCLTexts || c.bytes+len(text) > maxHCLBytes) {
		old := c.order[0]
		c.order = c.order[1:]
		c.bytes -= len(c.texts[old])
		delete(c.texts, old)
	}
	c.texts[k] = slices.Clone(text)
	c.order = append(c.order, k)
	c.bytes += len(text)
}
