// Package sbkeys is the southbound vocabulary dvr-northd writes and the
// other programs read (schema/README.md §2 is the contract): the
// Port_Binding type of a router interface, the external_ids and options
// keys on Datapath_Binding and Port_Binding, the keys dvr-northd keeps in
// SB_Global and NB_Global external_ids, and which NB row a
// Datapath_Binding stands for. dvr-northd, dvr-chassis and dvr-nbctl
// take these from here, so none of them imports another's package.
package sbkeys
