package ovsdbrpc

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
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

func TestTransactAndLeader(t *testing.T) {
	s := ovsdbtest.StartNB(t, ovsdbtest.Clustered(3))
	ctx := context.Background()
	eps, err := ParseEndpoints(s.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	c, err := DialLeader(ctx, eps, "OVN_Northbound", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Endpoint != "unix:"+s.Leader().Socket {
		t.Fatalf("dialed %s, leader is %s", c.Endpoint, s.Leader().Socket)
	}
	// "No switch is named x": a wait with empty rows succeeds.
	res, err := c.Transact(ctx, "OVN_Northbound", ovsdb.Operation{Op: "wait", Table: "Logical_Switch", Until: "==", Timeout: new(int),
		Where: []ovsdb.Condition{ovsdb.NewCondition("name", ovsdb.ConditionEqual, "x")}, Columns: []string{"name"}})
	if err != nil || len(res) != 1 || res[0].Error != "" {
		t.Fatalf("wait: %v %v", res, err)
	}
	if err := c.Echo(ctx, 5e9); err != nil {
		t.Fatal(err)
	}
	// A follower alone is refused.
	for _, m := range s.Members {
		if m == s.Leader() {
			continue
		}
		if _, err := DialLeader(ctx, []string{"unix:" + m.Socket}, "OVN_Northbound", nil, nil); err == nil || !strings.Contains(err.Error(), "leader") {
			t.Fatalf("follower accepted: %v", err)
		}
		break
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
