// Package pki makes the certificates of an SSL deployment with ovs-pki, in
// a directory of its own: one certificate authority (ovs-pki's switchca)
// that signs every certificate (the ovsdb-servers, their RAFT links,
// dvr-northd, dvr-nbctl, every dvr-chassis), each with the common name it
// is asked for (ovs-pki -u: exactly the name, no UUID or date appended),
// so that a chassis certificate can carry its chassis name as SB RBAC
// needs. Every side verifies its peer against the one CA certificate.
//
// Tests use it through ovsdbtest.WithSSL; dvr-sandbox and the demo use it
// for TLS=1; docs/deployment.md gives the same steps as ovs-pki commands.
package pki
