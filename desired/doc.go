// Package desired reads the desired-state repository: it checks out a
// revision (a local directory, or a git remote cloned into a cache), parses
// landlord.yaml and the tenant, template and module manifests strictly,
// validates them with every error named by file, line and field, and
// resolves each tenant's layers in apply order.
//
// desired has no database code. It must not import schema, state or
// reconciler.
package desired
