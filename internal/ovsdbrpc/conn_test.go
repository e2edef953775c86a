package ovsdbrpc

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ovn-org/libovsdb/ovsdb"
)

func TestEncodeOpKeepsEmptyMembers(t *testing.T) {
	cases := []struct {
		op   ovsdb.Operation
		want []string
	}{
		{ovsdb.Operation{Op: "wait", Table: "T", Until: "==", Columns: []string{}, Rows: nil}, []string{`"where":[]`, `"rows":[]`, `"columns":[]`}},
		{ovsdb.Operation{Op: "delete", Table: "T"}, []string{`"where":[]`}},
		{ovsdb.Operation{Op: "insert", Table: "T", Row: ovsdb.Row{"a": 1}}, nil},
	}
	for _, c := range cases {
		b, err := encodeOp(c.op)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range c.want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s lacks %s", b, w)
			}
		}
		if c.want == nil && strings.Contains(string(b), "where") {
			t.Errorf("insert got a where: %s", b)
		}
		var m map[string]any
		if json.Unmarshal(b, &m) != nil {
			t.Errorf("not JSON: %s", b)
		}
	}
}

func TestParseEndpoints(t *testing.T) {
	for _, bad := range []string{"", "foo", "tcp:1.2.3.4", "ssl:", "unix:", "unix:/a,", "http:x:1"} {
		if _, err := ParseEndpoints(bad); err == nil {
			t.Errorf("ParseEndpoints(%q) accepted", bad)
		}
	}
	eps, err := ParseEndpoints("unix:/a, tcp:127.0.0.1:6641,ssl:[::1]:6641")
	if err != nil || len(eps) != 3 {
		t.Fatalf("%v %v", eps, err)
	}
}
