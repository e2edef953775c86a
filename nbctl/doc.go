// Package nbctl implements dvr-nbctl: ovn-nbctl's commands (names, argument
// order, --may-exist/--if-exists, chaining with "--") over the project's
// OVN_Northbound database, with strict validation.
//
// A run never downloads the NB. Each command reads only the rows it needs
// with conditional selects through a txn (the IDL-like view of this run),
// stages its changes there, and the whole chain commits as one OVSDB
// transaction that begins with "wait" operations asserting that everything
// the commands read and validated still holds (the name is still free, the
// switch's ports are unchanged...). When another client changed any of it
// meanwhile, a wait fails and the chain is re-run from scratch, as the OVSDB
// IDL's verify does.
//
//	args ──split──▶ []invocation ──run each on txn──▶ staged rows
//	                                                 │
//	          waits (verified reads) + writes ◀──────┘ ──▶ one transact
//
// Parsing of values (addresses, networks, names) is pure: internal/addr and
// args.go. Which rows are valid is internal/nbvalid, the rule dvr-northd
// applies too; validity.go calls it, per command and on the chain's final
// state before the commit. Commands are in switch.go, port.go, router.go
// and show.go; txn.go holds the view and commit.go builds the transaction.
// The reads of a whole parent (every port of a switch or router, for the
// address and network checks and for show) take the raw path of
// rawread.go: selects written as bytes, sent a few transactions at once,
// decoded by rawjson.go without libovsdb's reflection, each row still
// guarded by its wait.
//
// Daemon mode (dvr-nbctl --detach, replica.go): a Replica keeps the five
// tables the commands read through one monitor, and RunReplica runs a
// chain exactly as Run does with the select-only transactions answered
// from memory; the commit, its waits and --wait go to the server as in a
// one-shot run, so a stale replica only costs a re-run.
package nbctl
