package backup

import (
	"fmt"
	"regexp"
	"time"
)

// FormatVersion is the version of the backup layout this landlord writes
// and reads.
const FormatVersion = 1

// Kinds of backup: why it was taken.
const (
	KindManual     = "manual"     // landlord backup, or the API
	KindBeforeLoss = "beforeloss" // before a destructive statement
	KindFinal      = "final"      // before a decommissioned tenant's database is dropped
	KindScheduled  = "scheduled"  // serve's schedule
)

// Manifest describes one complete backup. It is the last object written: a
// backup without one is incomplete and never restored.
type Manifest struct {
	Format        int       `json:"format"`
	ID            string    `json:"id"` // TENANT/STAMP
	Tenant        string    `json:"tenant"`
	Database      string    `json:"database"`
	Kind          string    `json:"kind"`
	Revision      string    `json:"revision,omitempty"`
	SchemaHash    string    `json:"schema_hash,omitempty"`
	SchemaHCL     string    `json:"schema_hcl,omitempty"`
	Engine        string    `json:"engine"` // mysql or sqlite
	ServerVersion string    `json:"server_version"`
	Charset       string    `json:"charset,omitempty"`
	Collation     string    `json:"collation,omitempty"`
	Started       time.Time `json:"started"`
	Finished      time.Time `json:"finished"`
	Tables        []Table   `json:"tables"`
	// File is the compressed database file of an SQLite backup.
	File *Object `json:"file,omitempty"`
}

// Table is one table of a backup. A column backup (Columns set) holds
// the primary key and the named columns only, written so that restoring
// it fills those columns of the existing rows.
type Table struct {
	Name string `json:"name"`
	// Create is the table's SHOW CREATE TABLE (MySQL and MariaDB).
	Create string `json:"create,omitempty"`
	// Columns of a column backup; empty for a whole table.
	Columns []string `json:"columns,omitempty"`
	// Key is the primary key of a column backup.
	Key  []string `json:"key,omitempty"`
	Rows int64    `json:"rows"`
	// Checksum is the order-independent checksum of the rows' values
	// (see checksum.go), read back after a restore.
	Checksum string  `json:"checksum"`
	Data     *Object `json:"data,omitempty"`
}

// Object is one stored object of a backup.
type Object struct {
	Key    string `json:"key"`
	Bytes  int64  `json:"bytes"`  // uncompressed
	Stored int64  `json:"stored"` // as stored, compressed
}

// Rows is the total of the tables' row counts.
func (m *Manifest) Rows() int64 {
	var n int64
	for _, t := range m.Tables {
		n += t.Rows
	}
	return n
}

// Sizes returns the uncompressed and stored bytes of the backup.
func (m *Manifest) Sizes() (raw, stored int64) {
	if m.File != nil {
		return m.File.Bytes, m.File.Stored
	}
	for _, t := range m.Tables {
		if t.Data != nil {
			raw += t.Data.Bytes
			stored += t.Data.Stored
		}
	}
	return raw, stored
}

// Table returns the named table of the backup.
func (m *Manifest) Table(name string) (Table, bool) {
	for _, t := range m.Tables {
		if t.Name == name {
			return t, true
		}
	}
	return Table{}, false
}

var (
	slugRE  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	stampRE = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$`)
)

// ParseID splits a backup ID (TENANT/STAMP) and checks both parts, so that
// an ID from a command line or a request never names another object.
func ParseID(id string) (tenant, stamp string, err error) {
	for i := 0; i < len(id); i++ {
		if id[i] == '/' {
			tenant, stamp = id[:i], id[i+1:]
			break
		}
	}
	if !slugRE.MatchString(tenant) || !stampRE.MatchString(stamp) {
		return "", "", fmt.Errorf("backup id %q: want TENANT/YYYYMMDDTHHMMSSZ-xxxxxxxx", id)
	}
	return tenant, stamp, nil
}
