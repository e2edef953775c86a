package ovsdbrpc

import (
	"fmt"
	"strings"

	"github.com/ovn-org/libovsdb/ovsdb"
)

// OpError is the first error in a transact reply.
type OpError struct {
	// Index is the operation that failed; -1 when the error is the
	// commit's own (the extra result after the operations) or the reply
	// is short.
	Index   int
	Op      string // "insert Port_Binding", "" when unknown
	Err     string // RFC 7047 error: "constraint violation", "timed out", ...
	Details string
}

func (e *OpError) Error() string {
	s := e.Err
	if e.Op != "" {
		s = e.Op + ": " + s
	}
	if e.Details != "" {
		s += ": " + e.Details
	}
	return s
}

// IsIndexViolation reports a unique-index constraint violation on table.
func (e *OpError) IsIndexViolation(table string) bool {
	return e.Err == "constraint violation" && strings.Contains(e.Details, `"`+table+`"`) &&
		strings.Contains(e.Details, "for index on column")
}

// FirstError is the first error in the reply to ops (nil when there is
// none); n is how many operations were sent when ops is not at hand.
func FirstError(ops []ovsdb.Operation, n int, res []ovsdb.OperationResult) *OpError {
	if ops != nil {
		n = len(ops)
	}
	for i, r := range res {
		if r.Error == "" {
			continue
		}
		e := &OpError{Index: i, Err: r.Error, Details: r.Details}
		if i >= n {
			e.Index = -1
		} else if ops != nil {
			e.Op = ops[i].Op + " " + ops[i].Table
		}
		return e
	}
	if len(res) < n {
		return &OpError{Index: -1, Err: "short reply", Details: fmt.Sprintf("%d results for %d operations", len(res), n)}
	}
	return nil
}

// Checked is a transaction's error, or the first error in its reply.
func Checked(res []ovsdb.OperationResult, err error) error {
	if err != nil {
		return err
	}
	if e := FirstError(nil, 0, res); e != nil {
		return e
	}
	return nil
}
