package reconciler

import (
	"crypto/sha256"
	"encoding/binary"
	"io"
	"sync"

	"github.com/landlord/landlord/schema"
	"github.com/landlord/landlord/state"
)

// parsedSnapshots are the snapshots a run read back as schemas, by their
// content: the tenants of a fleet share their baseline, which a run then
// parses once instead of once a tenant. On 1,000 tenants changed alike
// out of band, parsing each baseline's HCL took 8 of the run's 14.6 s of
// CPU. At most maxParsed snapshots of maxKeptTables tables in all are
// kept, the oldest dropped first; a schema handed out is only read
// (plans and comparisons copy what they change).
type parsedSnapshots struct {
	mu      sync.Mutex
	entries map[[sha256.Size]byte]*parsedSnapshot
	order   [][sha256.Size]byte
	tables  int
}

type parsedSnapshot struct {
	once   sync.Once
	live   *schema.Live
	err    error
	tables int
}

// maxParsed bounds the snapshots a run keeps parsed.
const maxParsed = 16

// snapshotLive returns snap read back as a schema of engine
// (schema.LiveFromSnapshot), parsed once per run for the same content.
func (ru *run) snapshotLive(engine schema.Engine, snap state.Snapshot) (*schema.Live, error) {
	h := sha256.New()
	var n [8]byte
	for _, part := range []string{string(engine), snap.HCL, snap.DDL} {
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		h.Write(n[:])
		io.WriteString(h, part)
	}
	var key [sha256.Size]byte
	h.Sum(key[:0])
	p := &ru.parsed
	p.mu.Lock()
	e, ok := p.entries[key]
	if !ok {
		if p.entries == nil {
			p.entries = map[[sha256.Size]byte]*parsedSnapshot{}
		}
		e = &parsedSnapshot{}
		p.entries[key] = e
		p.order = append(p.order, key)
	}
	p.mu.Unlock()
	e.once.Do(func() {
		e.live, e.err = schema.LiveFromSnapshot(engine, []byte(snap.HCL), []byte(snap.DDL))
		if e.err == nil {
			e.tables = len(e.live.Tables())
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.entries[key] != e {
			return // dropped before it was parsed
		}
		p.tables += e.tables
		for len(p.order) > 1 && (len(p.order) > maxParsed || p.tables > maxKeptTables) && p.order[0] != key {
			old := p.entries[p.order[0]]
			p.tables -= old.tables
			delete(p.entries, p.order[0])
			p.order = p.order[1:]
		}
	})
	return e.live, e.err
}
