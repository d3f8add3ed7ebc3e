package schema

import "database/sql"

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
