package chassis_test

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/chassis"
	"github.com/dvr-ovn/dvr/internal/ovsdbconn"
	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
)

// newRBACWorld is a world whose SB also serves the remotes its Connection
// rows name; dvr-northd writes the chassis role, and the operator's
// `ovn-sbctl set-connection role=ovn-controller pssl:PORT` opens an
// RBAC-limited SSL remote (on which chassis connect with their own
// certificates), while the unix remote stays the admin's.
func newRBACWorld(t *testing.T) (w *world, endpoint string) {
	t.Helper()
	ovsdbtest.RequireBinaries(t, "ovn-sbctl", "ovs-pki")
	w = &world{t: t, nb: ovsdbtest.StartNB(t), sb: ovsdbtest.StartSB(t, ovsdbtest.WithSSL(), ovsdbtest.WithDBRemotes("SB_Global"))}
	w.sbc = ovsdbtest.SBClient(t, w.sb.Endpoint(), ovsdbtest.MonitorAll())
	w.nbctl("init")
	w.startNorthd()
	eventually(t, "dvr-northd to write SB_Global and the chassis role", func() (bool, string) {
		var roles []sbdb.RBACRole
		var gs []sbdb.SBGlobal
		w.list(&roles)
		w.list(&gs)
		return len(gs) == 1 && len(roles) == 1 && roles[0].Name == sbkeys.ChassisRole && len(roles[0].Permissions) == len(sbkeys.RBACPermissions),
			fmt.Sprintf("%d SB_Global, roles %+v", len(gs), roles)
	})
	port := ovsdbtest.FreePort(t)
	target := fmt.Sprintf("pssl:%d:127.0.0.1", port)
	if out, err := exec.Command("ovn-sbctl", "--db="+w.sb.Endpoint(), "--timeout=20", "set-connection", "role="+sbkeys.ChassisRole, target).CombinedOutput(); err != nil {
		t.Fatalf("ovn-sbctl set-connection: %v: %s", err, out)
	}
	out, err := exec.Command("ovn-sbctl", "--db="+w.sb.Endpoint(), "--timeout=20", "get-connection").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "read-write role=\""+sbkeys.ChassisRole+"\" "+target) {
		t.Fatalf("ovn-sbctl get-connection: %v: %s", err, out)
	}
	eventually(t, "ovsdb-server to listen on "+target, func() (bool, string) {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			return false, err.Error()
		}
		c.Close()
		return true, ""
	})
	return w, fmt.Sprintf("ssl:127.0.0.1:%d", port)
}

// chassisConn is the SB config of chassis name on the RBAC remote, with a
// certificate whose CN is name.
func chassisConn(t *testing.T, w *world, endpoint, name string) ovsdbconn.Config {
	t.Helper()
	pair, err := w.sb.PKI.Sign(name)
	if err != nil {
		t.Fatal(err)
	}
	return ovsdbconn.Config{Endpoints: endpoint, PrivateKey: pair.Key, Certificate: pair.Cert, CACert: w.sb.PKI.CACert}
}

// as is one chassis' raw SB session on the RBAC remote.
type as struct {
	t    *testing.T
	name string
	c    client.Client
}

func connectAs(t *testing.T, w *world, endpoint, name string) *as {
	t.Helper()
	m, err := sbdb.FullDatabaseModel()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := chassisConn(t, w, endpoint, name).Connect(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &as{t: t, name: name, c: c}
}

// transact commits ops; the error is the server's (nil when all passed).
func (a *as) transact(ops ...ovsdb.Operation) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := a.c.Transact(ctx, ops...)
	if err != nil {
		return err
	}
	if e := ovsdbrpc.FirstError(ops, 0, res); e != nil {
		return e
	}
	return nil
}

func (a *as) must(what string, ops ...ovsdb.Operation) {
	a.t.Helper()
	if err := a.transact(ops...); err != nil {
		a.t.Fatalf("%s, as %s: %v", what, a.name, err)
	}
}

func eq(col string, v any) []ovsdb.Condition {
	return []ovsdb.Condition{ovsdb.NewCondition(col, ovsdb.ConditionEqual, v)}
}

// anyRow matches every row (libovsdb drops an empty where).
var anyRow = []ovsdb.Condition{ovsdb.NewCondition("_uuid", ovsdb.ConditionNotEqual, ovsdb.UUID{GoUUID: "00000000-0000-0000-0000-000000000000"})}

func strSet(xs ...any) ovsdb.OvsSet { return ovsdb.OvsSet{GoSet: xs} }

// register writes a chassis' rows as dvr-chassis does.
func (a *as) register(ip string) {
	a.t.Helper()
	a.must("registering",
		ovsdb.Operation{Op: "insert", Table: "Encap", UUIDName: "e", Row: ovsdb.Row{"type": "vxlan", "ip": ip, "chassis_name": a.name}},
		ovsdb.Operation{Op: "insert", Table: "Chassis", UUIDName: "c", Row: ovsdb.Row{"name": a.name, "hostname": a.name,
			"encaps": strSet(ovsdb.UUID{GoUUID: "e"})}},
		ovsdb.Operation{Op: "insert", Table: "Chassis_Private", Row: ovsdb.Row{"name": a.name, "chassis": ovsdb.UUID{GoUUID: "c"}}})
}

// sbDump is every row of the SB except SB_Global's nb_cfg bookkeeping,
// with its _version: any write to a row shows. A Connection row is shown
// by the columns a client can write instead: ovsdb-server itself rewrites
// its status and is_connected as sessions come and go.
func (w *world) sbDump() string {
	w.t.Helper()
	var lines []string
	for _, table := range []string{"Chassis", "Encap", "Chassis_Private", "Port_Binding", "DVR_Port_Claim", "Datapath_Binding",
		"DVR_MAC_Binding", "DVR_Router_Binding", "RBAC_Role", "RBAC_Permission", "SB_Global"} {
		for _, r := range ovsdbtest.SelectRows(w.t, w.sb.Endpoint(), "OVN_Southbound", table, "_uuid", "_version") {
			lines = append(lines, fmt.Sprintf("%s %v %v", table, ovsdbtest.Atoms(r["_uuid"]), ovsdbtest.Atoms(r["_version"])))
		}
	}
	cols := []string{"_uuid", "target", "role", "read_only", "max_backoff", "inactivity_probe", "other_config", "external_ids"}
	for _, r := range ovsdbtest.SelectRows(w.t, w.sb.Endpoint(), "OVN_Southbound", "Connection", cols...) {
		l := "Connection"
		for _, c := range cols {
			l += fmt.Sprintf(" %s=%v", c, r[c])
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

// TestRBACChassisTouchesOnlyItsOwnRows: on the RBAC remote, chassis hv1
// (certificate CN hv1) can write its own Chassis, Encap, Chassis_Private
// and claims, and the server refuses every write it tries on hv2's rows,
// every claim for hv2 or of a port hv2 holds, Port_Binding itself and every
// table dvr-northd owns; nothing changes. An admin's chassis-del (unix
// remote) frees hv2's port, and dvr-chassis unregister with hv1's
// certificate deletes hv1's rows.
func TestRBACChassisTouchesOnlyItsOwnRows(t *testing.T) {
	t.Parallel()
	w, ep := newRBACWorld(t)
	w.seed()
	hv1, hv2 := connectAs(t, w, ep, "hv1"), connectAs(t, w, ep, "hv2")
	hv1.register("192.168.0.1")
	hv2.register("192.168.0.2")
	hv2.must("claiming vm12", ovsdb.Operation{Op: "insert", Table: "DVR_Port_Claim", Row: ovsdb.Row{"logical_port": "vm12", "chassis_name": "hv2", "up": false}})
	hv2.must("reporting vm12 up", ovsdb.Operation{Op: "update", Table: "DVR_Port_Claim", Where: eq("logical_port", "vm12"), Row: ovsdb.Row{"up": true}})
	w.waitBound("vm12", "hv2")
	eventually(t, "vm12 up in NB", func() (bool, string) {
		out := w.nbctl("lsp-get-up", "vm12")
		return strings.TrimSpace(out) == "up", out
	})
	w.nbctl("--wait=sb", "sync")

	ch1, _, _, _ := w.chassis("hv1")
	refused := []struct {
		what string
		op   ovsdb.Operation
		// index: the server refuses it by the claim index, not by RBAC
		index bool
	}{
		{"update hv2's Chassis", ovsdb.Operation{Op: "update", Table: "Chassis", Where: eq("name", "hv2"), Row: ovsdb.Row{"hostname": "evil"}}, false},
		{"mutate hv2's Chassis", ovsdb.Operation{Op: "mutate", Table: "Chassis", Where: eq("name", "hv2"),
			Mutations: []ovsdb.Mutation{*ovsdb.NewMutation("external_ids", ovsdb.MutateOperationInsert, ovsdb.OvsMap{GoMap: map[any]any{"x": "y"}})}}, false},
		{"delete hv2's Chassis", ovsdb.Operation{Op: "delete", Table: "Chassis", Where: eq("name", "hv2")}, false},
		{"insert a Chassis named hv2", ovsdb.Operation{Op: "insert", Table: "Chassis", UUIDName: "c", Row: ovsdb.Row{"name": "hv2", "encaps": strSet(ovsdb.UUID{GoUUID: "e"})}}, false},
		{"insert a Chassis named hv3", ovsdb.Operation{Op: "insert", Table: "Chassis", UUIDName: "c", Row: ovsdb.Row{"name": "hv3", "encaps": strSet(ovsdb.UUID{GoUUID: "e"})}}, false},
		{"rename hv1's Chassis to hv2", ovsdb.Operation{Op: "update", Table: "Chassis", Where: eq("name", "hv1"), Row: ovsdb.Row{"name": "hv2"}}, false},
		{"update hv2's Encap", ovsdb.Operation{Op: "update", Table: "Encap", Where: eq("chassis_name", "hv2"), Row: ovsdb.Row{"ip": "10.9.9.9"}}, false},
		{"delete hv2's Encap", ovsdb.Operation{Op: "delete", Table: "Encap", Where: eq("chassis_name", "hv2")}, false},
		{"insert an Encap of hv2's", ovsdb.Operation{Op: "insert", Table: "Encap", Row: ovsdb.Row{"type": "vxlan", "ip": "10.9.9.8", "chassis_name": "hv2"}}, false},
		{"hand hv1's Encap to hv2", ovsdb.Operation{Op: "update", Table: "Encap", Where: eq("chassis_name", "hv1"), Row: ovsdb.Row{"chassis_name": "hv2"}}, false},
		{"update hv2's Chassis_Private", ovsdb.Operation{Op: "update", Table: "Chassis_Private", Where: eq("name", "hv2"), Row: ovsdb.Row{"nb_cfg": 99}}, false},
		{"delete hv2's Chassis_Private", ovsdb.Operation{Op: "delete", Table: "Chassis_Private", Where: eq("name", "hv2")}, false},
		{"insert a Chassis_Private named hv2", ovsdb.Operation{Op: "insert", Table: "Chassis_Private", Row: ovsdb.Row{"name": "hv2"}}, false},
		{"claim vm21 for hv2", ovsdb.Operation{Op: "insert", Table: "DVR_Port_Claim", Row: ovsdb.Row{"logical_port": "vm21", "chassis_name": "hv2", "up": true}}, false},
		{"claim vm12, bound to hv2", ovsdb.Operation{Op: "insert", Table: "DVR_Port_Claim", Row: ovsdb.Row{"logical_port": "vm12", "chassis_name": "hv1"}}, true},
		{"take hv2's claim on vm12", ovsdb.Operation{Op: "update", Table: "DVR_Port_Claim", Where: eq("logical_port", "vm12"), Row: ovsdb.Row{"chassis_name": "hv1"}}, false},
		{"set up on hv2's port (its claim)", ovsdb.Operation{Op: "update", Table: "DVR_Port_Claim", Where: eq("logical_port", "vm12"), Row: ovsdb.Row{"up": false}}, false},
		{"delete hv2's claim", ovsdb.Operation{Op: "delete", Table: "DVR_Port_Claim", Where: eq("logical_port", "vm12")}, false},
		{"set up on hv2's Port_Binding", ovsdb.Operation{Op: "update", Table: "Port_Binding", Where: eq("logical_port", "vm12"), Row: ovsdb.Row{"up": strSet(false)}}, false},
		{"bind vm12's Port_Binding to hv1", ovsdb.Operation{Op: "update", Table: "Port_Binding", Where: eq("logical_port", "vm12"), Row: ovsdb.Row{"chassis": strSet(ovsdb.UUID{GoUUID: ch1.UUID})}}, false},
		{"bind a free Port_Binding to hv1", ovsdb.Operation{Op: "update", Table: "Port_Binding", Where: eq("logical_port", "vm22"), Row: ovsdb.Row{"chassis": strSet(ovsdb.UUID{GoUUID: ch1.UUID})}}, false},
		{"update SB_Global", ovsdb.Operation{Op: "update", Table: "SB_Global", Where: anyRow, Row: ovsdb.Row{"nb_cfg": 99}}, false},
		{"insert a DVR_MAC_Binding", ovsdb.Operation{Op: "insert", Table: "DVR_MAC_Binding", Row: ovsdb.Row{"chassis_name": "hv1", "mac": "fa:16:3f:00:00:99"}}, false},
		{"change hv2's DVR MAC", ovsdb.Operation{Op: "update", Table: "DVR_MAC_Binding", Where: eq("chassis_name", "hv2"), Row: ovsdb.Row{"mac": "fa:16:3f:00:00:98"}}, false},
		{"delete the router bindings", ovsdb.Operation{Op: "delete", Table: "DVR_Router_Binding", Where: anyRow}, false},
		{"change a Datapath_Binding", ovsdb.Operation{Op: "update", Table: "Datapath_Binding", Where: anyRow, Row: ovsdb.Row{"tunnel_key": 4242}}, false},
		{"grant itself Port_Binding", ovsdb.Operation{Op: "update", Table: "RBAC_Permission", Where: eq("table", "Chassis"), Row: ovsdb.Row{"table": "Port_Binding"}}, false},
		{"widen the role", ovsdb.Operation{Op: "insert", Table: "RBAC_Permission", Row: ovsdb.Row{"table": "Port_Binding", "authorization": strSet(""), "insert_delete": true}}, false},
		{"delete the role", ovsdb.Operation{Op: "delete", Table: "RBAC_Role", Where: anyRow}, false},
		{"change the connection's role", ovsdb.Operation{Op: "update", Table: "Connection", Where: anyRow, Row: ovsdb.Row{"role": ""}}, false},
	}
	before := w.sbDump()
	for _, r := range refused {
		err := hv1.transact(r.op)
		switch {
		case err == nil:
			t.Errorf("%s: the server accepted it", r.what)
		case r.index && !strings.Contains(err.Error(), "constraint violation"):
			t.Errorf("%s: refused, but not by the claim index: %v", r.what, err)
		case !r.index && !strings.Contains(err.Error(), `RBAC rules for client "hv1" role "ovn-controller"`):
			t.Errorf("%s: refused, but not by RBAC: %v", r.what, err)
		}
	}
	if _, _, err := chassis.Unregister(context.Background(), chassisConn(t, w, ep, "hv1"), "hv2"); err == nil || !strings.Contains(err.Error(), `RBAC rules for client "hv1"`) {
		t.Errorf("dvr-chassis unregister of hv2 with hv1's certificate: %v", err)
	}
	if after := w.sbDump(); after != before {
		t.Fatalf("refused writes changed rows:\n--- before\n%s\n--- after\n%s", before, after)
	}
	if w.binding("vm12") != "hv2" {
		t.Fatalf("vm12 is bound to %q", w.binding("vm12"))
	}

	// hv1's own rows and claims are its to write; northd derives the binding.
	hv1.must("updating its own rows",
		ovsdb.Operation{Op: "update", Table: "Chassis", Where: eq("name", "hv1"), Row: ovsdb.Row{"hostname": "hv1.example"}},
		ovsdb.Operation{Op: "update", Table: "Encap", Where: eq("chassis_name", "hv1"), Row: ovsdb.Row{"ip": "192.168.0.11"}},
		ovsdb.Operation{Op: "update", Table: "Chassis_Private", Where: eq("name", "hv1"), Row: ovsdb.Row{"nb_cfg": 1}},
		ovsdb.Operation{Op: "insert", Table: "DVR_Port_Claim", Row: ovsdb.Row{"logical_port": "vm11", "chassis_name": "hv1", "up": false}})
	w.waitBound("vm11", "hv1")
	hv1.must("reporting vm11 up", ovsdb.Operation{Op: "update", Table: "DVR_Port_Claim", Where: eq("logical_port", "vm11"), Row: ovsdb.Row{"up": true}})
	eventually(t, "vm11 up in NB", func() (bool, string) {
		out := w.nbctl("lsp-get-up", "vm11")
		return strings.TrimSpace(out) == "up", out
	})
	hv1.must("releasing vm11", ovsdb.Operation{Op: "delete", Table: "DVR_Port_Claim", Where: eq("logical_port", "vm11")})
	w.waitBound("vm11", "")

	// The admin (unix remote, no role) deletes hv2: northd removes its
	// claim, and hv1 may claim the port.
	if out, err := exec.Command("ovn-sbctl", "--db="+w.sb.Endpoint(), "--timeout=20", "chassis-del", "hv2").CombinedOutput(); err != nil {
		t.Fatalf("ovn-sbctl chassis-del: %v: %s", err, out)
	}
	eventually(t, "hv2's claim removed by dvr-northd", func() (bool, string) {
		var cls []sbdb.DVRPortClaim
		w.list(&cls)
		return len(cls) == 0, fmt.Sprint(cls)
	})
	hv1.must("claiming vm12, free again", ovsdb.Operation{Op: "insert", Table: "DVR_Port_Claim", Row: ovsdb.Row{"logical_port": "vm12", "chassis_name": "hv1", "up": true}})
	w.waitBound("vm12", "hv1")

	// dvr-chassis unregister, with hv1's own certificate.
	if ch, cp, err := chassis.Unregister(context.Background(), chassisConn(t, w, ep, "hv1"), "hv1"); err != nil || ch != 1 || cp != 1 {
		t.Fatalf("unregister hv1 on the RBAC remote: %d %d %v", ch, cp, err)
	}
	eventually(t, "hv1's rows gone and vm12 free", func() (bool, string) {
		var chs []sbdb.Chassis
		var encs []sbdb.Encap
		var cls []sbdb.DVRPortClaim
		w.list(&chs)
		w.list(&encs)
		w.list(&cls)
		return len(chs) == 0 && len(encs) == 0 && len(cls) == 0 && w.binding("vm12") == "", fmt.Sprint(chs, encs, cls, w.binding("vm12"))
	})
}

// TestRBACRealChassis: the real dvr-chassis on two hypervisors, each on
// the RBAC remote with its own certificate, registers, claims its VM
// ports, reports nb_cfg (--wait=hv returns) and sets them up; a VM port
// plugged on both is not fought over; dvr-chassis unregister with the
// chassis' certificate retires a host.
func TestRBACRealChassis(t *testing.T) {
	t.Parallel()
	w, ep := newRBACWorld(t)
	w.seed()
	cs := w.hypervisors("hv1", "hv2")
	inside := map[string]string{}
	for _, c := range cs {
		// The RBAC remote, at the same address inside the hypervisor's
		// netns (a byte relay: TLS stays the chassis' own, end to end).
		if err := c.hv.ForwardEndpoints(ep); err != nil {
			t.Fatal(err)
		}
		inside[c.hv.Name] = ep
	}
	w.chassisSB = func(hv string) []string {
		c := chassisConn(t, w, ep, hv)
		return []string{"--sb", inside[hv], "--private-key", c.PrivateKey, "--certificate", c.Certificate, "--ca-cert", c.CACert}
	}
	cs[0].hv.AddVMPort("vm11", "vm11", "fa:16:3e:00:01:0b")
	cs[1].hv.AddVMPort("vm12", "vm12", "fa:16:3e:00:01:0c")
	for _, c := range cs {
		c.start()
	}
	w.waitBound("vm11", "hv1")
	w.waitBound("vm12", "hv2")
	w.nbctl("--wait=hv", "sync")
	for _, vm := range []string{"vm11", "vm12"} {
		eventually(t, vm+" up", func() (bool, string) { out := w.nbctl("lsp-get-up", vm); return strings.TrimSpace(out) == "up", out })
	}
	var gs []sbdb.SBGlobal
	w.list(&gs)
	for _, c := range cs {
		_, cp, _, _ := w.chassis(c.hv.Name)
		if len(gs) != 1 || gs[0].NbCfg == 0 || cp.NbCfg < gs[0].NbCfg {
			t.Errorf("%s reports nb_cfg %d after --wait=hv, SB_Global %+v", c.hv.Name, cp.NbCfg, gs)
		}
	}
	// vm11 plugged on hv2 too (a VM moving): hv2's claim would be refused
	// by the index, so it leaves the port to hv1.
	cs[1].hv.AddVMPort("vm11b", "vm11", "fa:16:3e:00:01:0b")
	w.nbctl("--wait=hv", "sync")
	if b := w.binding("vm11"); b != "hv1" {
		t.Fatalf("vm11 bound to %q after hv2 plugged it too", b)
	}
	eventually(t, "hv2 to say vm11 is bound elsewhere", func() (bool, string) {
		return strings.Contains(cs[1].p.Output(), chassis.BoundElsewhere), ""
	})
	for _, c := range cs {
		if out := c.p.Output(); strings.Contains(out, "RBAC") {
			t.Errorf("%s hit an RBAC refusal:\n%s", c.hv.Name, out)
		}
	}
	// Retire hv2: stop it, unregister with its own certificate.
	cs[1].stop()
	c2 := chassisConn(t, w, ep, "hv2")
	args := []string{"unregister", "--sb", ep, "--private-key", c2.PrivateKey, "--certificate", c2.Certificate, "--ca-cert", c2.CACert,
		"--system-id", "hv2", "--pidfile", cs[1].pidfile}
	if out, err := exec.Command(ovsdbtest.Binary(t, "dvr-chassis"), args...).CombinedOutput(); err != nil {
		t.Fatalf("dvr-chassis unregister: %v: %s", err, out)
	}
	w.waitBound("vm12", "")
	if _, _, _, ok := w.chassis("hv2"); ok {
		t.Fatal("hv2 still registered")
	}
	w.nbctl("--wait=hv", "sync")
}
