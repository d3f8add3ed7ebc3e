package state

// Version 10: the server and database landlord applied a tenant's schema
// to (managed_server, managed_database), kept apart from the manifest's
// server and database, which every run records whatever it did. Only a
// database landlord manages is ever dropped when its tenant is
// decommissioned: a manifest that names another database (one landlord
// never provisioned) never makes landlord drop it. Tenants whose database
// was created and applied before this version are backfilled from their
// record.
func init() {
	migrations = append(migrations, migration{
		version: 10,
		name:    "the database landlord manages for each tenant",
		sqlite: []string{
			`ALTER TABLE tenants ADD COLUMN managed_server TEXT NOT NULL DEFAULT ''`,
			`ALTER TABLE tenants ADD COLUMN managed_database TEXT NOT NULL DEFAULT ''`,
			`UPDATE tenants SET managed_server = server, managed_database = database_name
				WHERE database_created_at IS NOT NULL AND last_applied_revision <> ''`,
		},
		mysql: []string{
			`ALTER TABLE tenants ADD COLUMN managed_server VARCHAR(63) NOT NULL DEFAULT '', ADD COLUMN managed_database VARCHAR(64) NOT NULL DEFAULT ''`,
			`UPDATE tenants SET managed_server = server, managed_database = database_name
				WHERE database_created_at IS NOT NULL AND last_applied_revision <> ''`,
		},
	})
}
