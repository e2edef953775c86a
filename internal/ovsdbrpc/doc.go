// Package ovsdbrpc is a small OVSDB JSON-RPC session (RFC 7047) of our own,
// next to libovsdb's client, for what that client cannot do:
//
//   - send operations exactly as built (libovsdb drops an empty "rows" or
//     "where", so a "wait until the name is still free" cannot be said);
//   - hold an OVSDB lock and send transactions asserting it on the same
//     session (libovsdb has no lock API and keeps its connection private);
//   - connect cheaply for one-shot commands (one get_schema, one _Server
//     check), following the RAFT leader through a comma list of members.
//
// Operations are still built with libovsdb's typed ovsdb package.
package ovsdbrpc
