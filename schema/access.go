package schema

import (
	"database/sql"
	"database/sql/driver"
	"errors"

	gomysql "github.com/go-sql-driver/mysql"
)

// DB returns the connection pool of a MySQL or MariaDB server (nil for
// SQLite), for work that is not schema work (backups and restores use
// CopyDB). Its connections run with landlord's strict sql_mode.
func (s *Server) DB() *sql.DB { return s.db }

// SQLitePath returns the file of database on an SQLite server ("" for
// MySQL and MariaDB). It is an error when the file (or its journal) is a
// symbolic link or not a regular file, or the server's directory leads
// out of its Root (ServerOptions): never use such a file.
func (s *Server) SQLitePath(database string) (string, error) {
	if s.engine != SQLite {
		return "", nil
	}
	return s.sqliteFile(database)
}

// CopyDB is the pool for copying a tenant's rows out and in (backups and
// restores) on MySQL and MariaDB: its statements are short reads and
// writes of rows, so one the server leaves unanswered for the stall
// timeout fails instead of holding the tenant's lock. It is nil for
// SQLite.
func (s *Server) CopyDB() *sql.DB { return s.copyDB }

// ConnectionLost reports whether err says the server dropped the
// connection: the driver found it dead, or the server went away, lost it
// or is shutting down (MySQL and MariaDB errors 2006, 2013, 1053).
func ConnectionLost(err error) bool {
	var mysqlErr *gomysql.MySQLError
	switch {
	case errors.Is(err, gomysql.ErrInvalidConn), errors.Is(err, driver.ErrBadConn):
		return true
	case errors.As(err, &mysqlErr):
		switch mysqlErr.Number {
		case 1053, 2006, 2013:
			return true
		}
	}
	return false
}
