// Package ovsdbconn builds libovsdb clients the way every program of this
// project needs them: endpoints from a comma list (unix:, tcp:, ssl:), SSL
// from ovs-pki style key/certificate/CA files (the CA chain is checked, the
// host name is not, as OVS does), always a logger (libovsdb turns global
// verbosity to maximum without one), and optionally leader-only.
//
// It does not reconnect: its clients have no libovsdb reconnect (after
// one, libovsdb purges and refills the cache under readers, and with
// WithLeaderOnly it can deadlock). Long-lived monitors are kept by
// internal/ovsdbmon, which replaces a lost or stuck client with a fresh
// one, with a backoff that never gives up.
package ovsdbconn
