// Package schema turns layers of Atlas HCL into a desired schema and a live
// database into a plan: compose the layers with the origin of every object,
// adapt them to the engine, inspect, diff, plan, classify destructive
// changes, apply under a per-database lock, and hash schemas stably; and
// compare two schemas object by object (drift), plan while leaving given
// objects alone, and write live objects back as a layer file.
//
// schema knows nothing of tenants, manifests or the landlord database. It
// must not import desired, state or reconciler.
package schema
