// Package state is the landlord database: the recorded status of every
// tenant, the runs, every statement a run planned and applied, schema
// snapshots and their retention, drift records and pins. It is SQLite by default and MySQL or MariaDB in production; its
// own schema is versioned and migrated when it is opened.
//
// state knows nothing of Atlas, git or manifests: it stores plain records.
// It must not import desired, schema or reconciler.
package state
