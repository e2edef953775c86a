// Package fixtures holds the project's NB scenarios and topology generators,
// shared by unit tests, integration tests, benchmarks and the demo.
//
// A Topology is routers, each with subnets (one Logical_Switch attached to the
// router by one Logical_Router_Port and one router-type Logical_Switch_Port),
// each subnet with VM ports, plus a placement of every VM port on a chassis.
// From a Topology the package renders, without any I/O:
//
//   - NB rows as Go models (NBRows, internal/nbdb types with named UUIDs), and
//     as human-readable JSON (tables → named UUID → columns, MarshalNBJSON);
//   - dvr-nbctl argument batches, one atomic transaction per router
//     (NbctlBatches), and the equivalent ovn-nbctl batches (OVNNbctlBatches);
//   - libovsdb insert operations in chunks (InsertOps), for pre-building large
//     NB databases quickly.
//
// The thin "do" side: Connect, Load/LoadNB (insert a topology into a running
// ovsdb-server), ReadNB (read the topology tables back as NBRows) and
// CountRows.
//
// Two sources of topologies:
//
//   - Seed() is the hand-written seed scenario (router r1, subnets sw1 and sw2,
//     four VMs on hv1..hv3 so that routed traffic crosses hosts both ways). The
//     same scenario is committed as seed/seed.sh (dvr-nbctl), seed/seed-ovn.sh
//     (ovn-nbctl), seed/nb.json and seed/placement.json; tests keep them equal.
//   - Generate(routers, subnetsPerRouter, portsPerSubnet, chassis) builds a
//     topology of any size with one naming and addressing scheme (see
//     Generate).
package fixtures
