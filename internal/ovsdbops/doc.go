// Package ovsdbops builds OVSDB operations from libovsdb's generated models
// as plain values (nothing is sent here): insert with a named UUID, update
// of chosen columns, delete and mutate by UUID, and the "wait" forms our
// writers start their transactions with.
package ovsdbops
