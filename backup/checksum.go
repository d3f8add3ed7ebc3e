package backup

import (
	"encoding/binary"
	"fmt"

	"github.com/cespare/xxhash/v2"
)

// checksum is an order-independent checksum of a table's rows: the sum,
// modulo 2^64, of each row's xxhash over its values. Order-independent so
// that a restored table, read back in whatever order the engine returns
// it, gives the same figure; a value's length precedes it and NULL has a
// mark of its own, so no two rows of different values collide by framing.
type checksum struct {
	sum  uint64
	rows int64
	d    *xxhash.Digest
	buf  [binary.MaxVarintLen64 + 1]byte
}

func newChecksum() *checksum { return &checksum{d: xxhash.New()} }

// row adds one row, its values as the engine's text protocol returns them
// (nil for NULL).
func (c *checksum) row(values [][]byte, null []bool) {
	c.d.Reset()
	for i, v := range values {
		if null[i] {
			c.d.Write([]byte{0xff})
			continue
		}
		c.buf[0] = 0
		n := binary.PutUvarint(c.buf[1:], uint64(len(v)))
		c.d.Write(c.buf[:n+1])
		c.d.Write(v)
	}
	c.sum += c.d.Sum64()
	c.rows++
}

func (c *checksum) String() string { return fmt.Sprintf("%016x", c.sum) }
