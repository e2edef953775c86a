package ovsdbrpc

import (
	"errors"
	"testing"

	"github.com/ovn-org/libovsdb/ovsdb"
)

func TestFirstError(t *testing.T) {
	ops := []ovsdb.Operation{{Op: "wait", Table: "NB_Global"}, {Op: "insert", Table: "Logical_Switch_Port"}}
	if e := FirstError(ops, 0, []ovsdb.OperationResult{{}, {}}); e != nil {
		t.Fatal(e)
	}
	e := FirstError(ops, 0, []ovsdb.OperationResult{{}, {Error: "constraint violation",
		Details: `Transaction causes multiple rows in "Logical_Switch_Port" table to have identical values (x) for index on column "name".`}})
	if e == nil || e.Index != 1 || !e.IsIndexViolation("Logical_Switch_Port") || e.IsIndexViolation("Logical_Router_Port") ||
		e.Error()[:35] != "insert Logical_Switch_Port: constra" {
		t.Fatalf("%+v", e)
	}
	if e := FirstError(ops, 0, []ovsdb.OperationResult{{}, {}, {Error: "I/O error", Details: "write failed"}}); e == nil || e.Index != -1 || e.Error() != "I/O error: write failed" {
		t.Fatalf("commit error: %+v", e)
	}
	if e := FirstError(nil, 3, []ovsdb.OperationResult{{}}); e == nil || e.Err != "short reply" {
		t.Fatalf("short reply: %+v", e)
	}
	if err := Checked(nil, errors.New("x")); err == nil || err.Error() != "x" {
		t.Fatal(err)
	}
	if err := Checked([]ovsdb.OperationResult{{Error: "timed out"}}, nil); err == nil || err.Error() != "timed out" {
		t.Fatal(err)
	}
}
