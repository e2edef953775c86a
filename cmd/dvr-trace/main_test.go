package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/chassis/trace"
	"github.com/dvr-ovn/dvr/internal/hvtest"
	"github.com/dvr-ovn/dvr/internal/ovsdbconn"
	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	ovsdbtest.RemoveBinaries()
	os.Exit(code)
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// world is hv1 and the SB, shared by the subtests (read only).
type world struct {
	hv *hvtest.HV
	sb *ovsdbtest.Server
}

func (w world) trace(t *testing.T, bridge, flow string) trace.Report {
	t.Helper()
	res, err := Trace(ctxT(t), Request{Ctl: w.hv.CtlSocket(), Bridge: bridge, Flow: []string{flow},
		SB: &ovsdbconn.Config{Endpoints: w.sb.Endpoint()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", res.Report.Text())
	return res.Report
}

// ours: every hit on br-int and br-tun is one of our flows with its SB row named.
func ours(t *testing.T, r trace.Report) {
	t.Helper()
	for _, b := range r.Blocks {
		if b.Bridge != "br-int" && b.Bridge != "br-tun" {
			continue
		}
		for _, h := range b.Hits {
			if h.Owner != "" || h.Row == "" || h.Row == "no such SB row" || h.Purpose == "" {
				t.Errorf("%s %s prio %d: owner %q row %q purpose %q", b.Bridge, h.Table, h.Prio, h.Owner, h.Row, h.Purpose)
			}
		}
	}
}

func hasRow(r trace.Report, table, row string) bool {
	for _, b := range r.Blocks {
		for _, h := range b.Hits {
			if h.Table == table && strings.Contains(h.Row, row) {
				return true
			}
		}
	}
	return false
}

func TestTraceOnRealOVS(t *testing.T) {
	w := world{hv: startHV1(t), sb: startSB(t)}

	t.Run("routed frame from a qo- port to a remote VM leaves via the tunnel with the DVR MAC and the VNI", func(t *testing.T) {
		// qrouter-r1 on hv1 routed vm11 → vm22 out of r1-sw2.
		r := w.trace(t, "br-int", "in_port="+qo2+",ip,dl_src="+q2+",dl_dst="+m22+",nw_src=10.0.1.11,nw_dst=10.0.2.12,nw_ttl=63")
		ours(t, r)
		want := "left via " + vx2 + " to chassis hv2 (10.0.0.2) with VNI 0x11 (network sw2), src " + d1 + " (the DVR MAC of chassis hv1)"
		if len(r.Exits) != 1 || r.Exits[0].Kind != trace.ExitTunnel || r.Exits[0].Text != want {
			t.Errorf("exits %+v, want %q", r.Exits, want)
		}
		for table, row := range map[string]string{
			"LOCAL_SWITCHING(0)": "Port_Binding r1-sw2 (interface of router r1 on sw2)",
			"TRANSIENT(60)":      "Port_Binding vm22 (VM on sw2, chassis hv2)",
			"DVR_PROCESS(1)":     "Port_Binding r1-sw2",
			"UCAST_TO_TUN(20)":   "Port_Binding vm22",
		} {
			if !hasRow(r, table, row) {
				t.Errorf("no %s hit naming %q", table, row)
			}
		}
		if len(r.Blocks) < 2 || r.Blocks[0].Bridge != "br-int" || r.Blocks[1].Bridge != "br-tun" {
			t.Errorf("bridges %+v", r.Blocks)
		}
	})

	t.Run("frame from the tunnel with a remote DVR MAC reaches the local VM from its gateway MAC", func(t *testing.T) {
		r := w.trace(t, "br-tun", "in_port="+vx2+",tun_id=0x10,tun_src=10.0.0.2,tun_dst=10.0.0.1,ip,dl_src="+d2+
			",dl_dst="+m11+",nw_src=10.0.2.12,nw_dst=10.0.1.11,nw_ttl=63")
		ours(t, r)
		want := "delivered to tap-vm11: VM port vm11 on sw1, src " + q1 + " (router interface r1-sw1 of r1)"
		if len(r.Exits) != 1 || r.Exits[0].Kind != trace.ExitVM || r.Exits[0].Text != want {
			t.Errorf("exits %+v, want %q", r.Exits, want)
		}
		for table, row := range map[string]string{
			"LOCAL_SWITCHING(0)": "Encap 10.0.0.2 of chassis hv2",
			"VXLAN_TUN_TO_LV(4)": "Datapath_Binding 16 (switch sw1)",
			"DVR_NOT_LEARN(9)":   "DVR_MAC_Binding " + d2 + " of chassis hv2",
			"DVR_TO_SRC_MAC(1)":  "Port_Binding vm11 (VM on sw1, chassis hv1)",
		} {
			if !hasRow(r, table, row) {
				t.Errorf("no %s hit naming %q", table, row)
			}
		}
	})

	t.Run("ARP request for the gateway IP is never sent toward a tunnel", func(t *testing.T) {
		r := w.trace(t, "br-int", "in_port=tap-vm11,arp,dl_src="+m11+",dl_dst=ff:ff:ff:ff:ff:ff,arp_op=1,arp_sha="+m11+
			",arp_spa=10.0.1.11,arp_tpa=10.0.1.1")
		ours(t, r)
		for _, e := range r.Exits {
			if e.Kind == trace.ExitTunnel {
				t.Errorf("left toward a tunnel: %+v", e)
			}
		}
		if len(r.Drops) != 1 || r.Drops[0].Table != "FLOOD_TO_TUN(22)" || !strings.Contains(r.Drops[0].Row, "r1-sw1") {
			t.Errorf("drops %+v: want FLOOD_TO_TUN's router-IP drop naming r1-sw1", r.Drops)
		}
		// The qr- device gets the request (the router answers it).
		var toRouter bool
		for _, e := range r.Exits {
			toRouter = toRouter || (e.Kind == trace.ExitRouter && strings.Contains(e.Text, "router interface r1-sw1 of r1"))
		}
		if !toRouter {
			t.Errorf("exits %+v: the request does not reach r1-sw1's %s", r.Exits, qo1)
		}
	})

	t.Run("frame to the qr MAC from the tunnel side is dropped, naming the flow", func(t *testing.T) {
		r := w.trace(t, "br-tun", "in_port="+vx2+",tun_id=0x10,tun_src=10.0.0.2,tun_dst=10.0.0.1,ip,dl_src="+d2+
			",dl_dst="+q1+",nw_src=10.0.2.12,nw_dst=10.0.1.1")
		ours(t, r)
		if len(r.Exits) != 0 || len(r.Drops) != 1 || r.Drops[0].Bridge != "br-int" || r.Drops[0].Table != "DVR_TO_SRC_MAC(1)" {
			t.Fatalf("exits %+v drops %+v: want a drop in br-int DVR_TO_SRC_MAC", r.Exits, r.Drops)
		}
		if !strings.Contains(r.Text(), "=> dropped in br-int DVR_TO_SRC_MAC(1) by the flow prio 1 [base → the fixed pipeline]\n") {
			t.Errorf("text:\n%s", r.Text())
		}
	})

	t.Run("errors are one line: OVS's own for a bad packet or bridge", func(t *testing.T) {
		for flow, want := range map[string]string{
			"in_port=tap-vm11,foo=bar": "Bad openflow flow syntax: in_port=tap-vm11,foo=bar: unknown field foo",
			"in_port=nope,ip":          "Bad openflow flow syntax: in_port=nope,ip: bad value for in_port (nope: invalid or unknown port for in_port)",
		} {
			_, err := Trace(ctxT(t), Request{Ctl: w.hv.CtlSocket(), Bridge: "br-int", Flow: []string{flow}})
			if err == nil || err.Error() != want {
				t.Errorf("%s: error %v, want %q", flow, err, want)
			}
		}
		_, err := Trace(ctxT(t), Request{Ctl: w.hv.CtlSocket(), Bridge: "br-nope", Flow: []string{"in_port=1"}})
		if err == nil || err.Error() != "br-nope: unknown bridge" {
			t.Errorf("unknown bridge: %v", err)
		}
	})

	t.Run("without --sb: tables, categories and raw objects", func(t *testing.T) {
		var out bytes.Buffer
		err := app(&out).Run([]string{"dvr-trace", "--ovs-rundir", w.hv.RunDir(), "in_port=" + qo2 + ",ip,dl_src=" + q2 + ",dl_dst=" + m22})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"(no --sb: SB rows are not named)", "table DVR_PROCESS(1) prio 1  [router-port(datapath=17,port=1)]",
			"=> left via " + vx2 + " to 10.0.0.2 with VNI 0x11, src " + d1 + "\n"} {
			if !strings.Contains(out.String(), s) {
				t.Errorf("output lacks %q:\n%s", s, out.String())
			}
		}
	})

	t.Run("the binary", func(t *testing.T) {
		cmd := exec.Command(ovsdbtest.Binary(t, "dvr-trace"), "--ctl", w.hv.CtlSocket(), "--raw",
			"in_port="+qo2+",ip,dl_src="+q2+",dl_dst="+m22+",nw_src=10.0.1.11,nw_dst=10.0.2.12,nw_ttl=63")
		cmd.Env = append(os.Environ(), "DVR_SB_DB="+w.sb.Endpoint())
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%v:\n%s", err, out)
		}
		t.Logf("%s", out)
		for _, s := range []string{`bridge("br-tun")`, "\nbr-tun\n",
			"table DVR_PROCESS(1) prio 1  [router-port(datapath=17,port=1) → Port_Binding r1-sw2 (interface of router r1 on sw2)]",
			"=> left via " + vx2 + " to chassis hv2 (10.0.0.2) with VNI 0x11 (network sw2), src " + d1 + " (the DVR MAC of chassis hv1)\n"} {
			if !strings.Contains(string(out), s) {
				t.Errorf("output lacks %q", s)
			}
		}
		cmd = exec.Command(ovsdbtest.Binary(t, "dvr-trace"), "--ovs-rundir", t.TempDir(), "in_port=1")
		out, err = cmd.CombinedOutput()
		if err == nil || !strings.HasPrefix(string(out), "dvr-trace: no ovs-vswitchd in ") || strings.Count(string(out), "\n") != 1 {
			t.Errorf("no switch: %v: %q", err, out)
		}
	})
}
