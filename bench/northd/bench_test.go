package main

import (
	"encoding/json"
	"testing"
)

func TestFloorOpsShape(t *testing.T) {
	// One router with one interface on one switch holding a router port
	// and two VM ports, as a monitor reply decodes.
	reply := `{
	 "Logical_Router": {"r": {"new": {"name": "r1", "ports": ["uuid", "lrp"], "options": ["map", []]}}},
	 "Logical_Router_Port": {"lrp": {"new": {"name": "lrp1", "mac": "fa:16:3d:00:00:01", "networks": "10.0.0.1/24"}}},
	 "Logical_Switch": {"ls": {"new": {"name": "ls1", "ports": ["set", [["uuid", "p1"], ["uuid", "p2"], ["uuid", "rp"]]]}}},
	 "Logical_Switch_Port": {
	  "p1": {"new": {"name": "vm1", "type": "", "addresses": "fa:16:3e:00:00:01 10.0.0.10", "options": ["map", []]}},
	  "p2": {"new": {"name": "vm2", "type": "", "addresses": ["set", []], "options": ["map", []]}},
	  "rp": {"new": {"name": "ls1-r1", "type": "router", "addresses": "router", "options": ["map", [["router-port", "lrp1"]]]}}}
	}`
	var nb rawRows
	if err := json.Unmarshal([]byte(reply), &nb); err != nil {
		t.Fatal(err)
	}
	ops, rows := floorOps(nb, map[string]string{"hv1": "u1", "hv2": "u2"})
	want := map[string]int{"Datapath_Binding": 2, "Port_Binding": 3, "DVR_MAC_Binding": 2}
	for k, v := range want {
		if rows[k] != v {
			t.Errorf("%s: %d rows, want %d", k, rows[k], v)
		}
	}
	if len(ops) != 7 {
		t.Errorf("%d ops, want 7", len(ops))
	}
	for _, op := range ops {
		if op.Table == "Port_Binding" && op.Row["logical_port"] == "lrp1" {
			if op.Row["type"] != "distributed-router-interface" {
				t.Errorf("router interface row: %v", op.Row)
			}
		}
	}
}

func TestTopologyHosting(t *testing.T) {
	topo := topology(1000, 100)
	if _, _, p := topo.Counts(); p != 1000 {
		t.Fatalf("%d ports", p)
	}
	// 1 router, 1000 ports round-robin on 100 chassis: hosted on all.
	if n := hostingRows(topo); n != 100 {
		t.Errorf("%d hosting rows, want 100", n)
	}
	ps := newPorts(topo, 1)
	seen := map[string]bool{}
	for i := 0; i < 300; i++ {
		sw, a, err := ps.next()
		if err != nil {
			t.Fatal(err)
		}
		if seen[sw+a] {
			t.Fatalf("address %s handed out twice on %s", a, sw)
		}
		seen[sw+a] = true
	}
}
