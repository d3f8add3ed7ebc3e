// Package refdata is reference data in layers: the rows a layer declares
// for its tables in data/<table>.yaml or data/<table>.csv, read as a
// stream of rows each bounded on its own and decoded strictly (every
// problem a file:line error), keyed by the table's primary key or a unique
// key the file declares, composed across a tenant's layers (a later layer
// adds rows and overrides columns of an earlier one's), and compared with
// the rows a database holds, streamed past the declared ones and never
// held, to give the statements that make the declared rows true: INSERT the missing ones, UPDATE changed columns, DELETE the rows git
// declared before and no longer does. Rows that git never declared are the
// tenant's and are never touched.
//
// Every value reaches SQL as a bound parameter; every name is checked
// against the tables and columns the desired schema declares, and against
// landlord's identifier rule, before it is quoted. refdata imports no other
// package of landlord: the reconciler gives it the tables' columns and the
// live rows, and runs the statements it returns.
package refdata
