// Package ovsdbconn builds libovsdb clients the way every program of this
// project needs them: endpoints from a comma list (unix:, tcp:, ssl:), SSL
// from ovs-pki style key/certificate/CA files (the CA chain is checked, the
// host name is not, as OVS does), always a logger (libovsdb turns global
// verbosity to maximum without one), and reconnect backoff that never
// gives up (libovsdb panics when it does).
package ovsdbconn
