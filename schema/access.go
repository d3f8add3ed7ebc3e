package schema

import "database/sql"

// DB returns the connection pool of a MySQL or MariaDB server (nil for
// SQLite), for work that is not schema work: backups and restores. Its
// connections run with landlord's strict sql_mode.
func (s *Server) DB() *sql.DB { return s.db }

// SQLitePath returns the file of database on an SQLite server ("" for
// MySQL and MariaDB).
func (s *Server) SQLitePath(database string) string {
	if s.engine != SQLite {
		return ""
	}
	return s.sqlitePath(database)
}
