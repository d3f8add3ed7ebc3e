package reconciler

import (
	"context"
	"errors"
	"net"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/landlord/landlord/desired"
	"github.com/landlord/landlord/refdata"
	"github.com/landlord/landlord/schema"
)

// Class says what to do about a failed tenant.
type Class string

// Classes of failure.
const (
	// Stalled: retrying cannot help (a bad manifest or layer, a blocked
	// destructive change, a statement the server rejects or landlord
	// refuses); wait for a new
	// revision.
	Stalled Class = "stalled"
	// Transient: the network, a lock or a deadlock; retry with backoff.
	Transient Class = "transient"
)

// classify maps the facts a leaf package returns to what to do about them.
func classify(err error) Class {
	var (
		mysqlErr *gomysql.MySQLError
		netErr   net.Error
		manifest *desired.ManifestError
		source   schema.SourceErrors
		refused  *schema.RefusedError
		data     refdata.Errors
		stale    *staleAlikeError
	)
	var unrecorded *unrecordedError
	switch {
	case errors.As(err, &stale), errors.As(err, &unrecorded):
		return Transient
	case errors.As(err, &manifest), errors.As(err, &source), errors.As(err, &refused), errors.As(err, &data), errors.Is(err, schema.ErrStatementTimeout):
		return Stalled
	case errors.Is(err, schema.ErrStalled), errors.Is(err, schema.ErrReadOnly), errors.Is(err, schema.ErrOutOfSpace):
		return Transient
	case errors.Is(err, schema.ErrLocked), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return Transient
	case errors.Is(err, gomysql.ErrInvalidConn), errors.As(err, &netErr):
		return Transient
	case errors.As(err, &mysqlErr):
		switch mysqlErr.Number {
		case 1205, // lock wait timeout
			1213, // deadlock
			1040, // too many connections
			1053, // server shutdown
			2006, // server has gone away
			2013, // lost connection
			3024, // query execution interrupted (max_statement_time)
			1969, // MariaDB: query execution was interrupted (max_statement_time)
			1290, // the server runs with --read-only (a replica): not the tenant's fault
			1836, // innodb_read_only
			1792, // a read-only transaction
			1114, // the table is full (a tablespace that cannot grow)
			1021: // the disk is full
			return Transient
		}
		return Stalled
	}
	return Transient
}

// unreachable reports whether err says the server could not be reached (a
// dial refused or timed out, a stalled connection, a connection the server
// dropped: it went away), rather than something of the tenant: the tenant
// waits for its server.
func unreachable(err error) bool {
	var (
		op       *net.OpError
		mysqlErr *gomysql.MySQLError
	)
	switch {
	case errors.As(err, &op) && op.Op == "dial", errors.Is(err, schema.ErrStalled), schema.ConnectionLost(err):
		return true
	case errors.As(err, &mysqlErr):
		return mysqlErr.Number == 1927 // MariaDB: connection was killed
	}
	return false
}
