// Package seed generates demo data for a tenant's tables: the generators
// a layer declares in its demo.yaml (a row count, fixed and per unit of
// scale, and a generator per column), composed across a tenant's layers,
// drawn from one seed so that the same seed gives the same rows, with
// foreign keys that reference existing rows (reference data included) or
// rows generated before them, and unique keys kept unique. Names of people
// come from landlord's own lists of Nepali given names and surnames, in
// English and in Devanagari; other values from gofakeit.
//
// seed decodes strictly (every problem a file:line error) and returns
// plain statements whose values are bound parameters and whose names were
// checked against the tables the desired schema declares. It reads and
// writes no database: the reconciler gives it the tables' definitions and
// the rows it must reference or keep, and runs the statements it returns.
// seed imports no other package of landlord.
package seed
