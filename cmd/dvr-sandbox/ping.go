package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/dvr-ovn/dvr/internal/hvtest"
)

// ping injects an ICMP echo at one VM, its reply at the other, and prints
// both hop by hop from the captures, checking what DVR promises; then
// the annotated trace (dvr-trace) of the echo on the source hypervisor.
func ping(args []string) error {
	fs := flag.NewFlagSet("ping", flag.ExitOnError)
	run := runFlag(fs)
	from := fs.String("from", "", "source VM (default: the first VM on hv1)")
	to := fs.String("to", "", "destination VM (default: a VM on another subnet on another hypervisor, hv2 first)")
	doTrace := fs.Bool("trace", true, "also print the echo's dvr-trace on the source hypervisor")
	traceBin := fs.String("dvr-trace", "", "the dvr-trace binary (default: next to dvr-sandbox)")
	_ = fs.Parse(args)
	st, err := readState(*run)
	if err != nil {
		return err
	}
	if *from == "" || *to == "" {
		f, t, err := pickPair(st)
		if err != nil {
			return err
		}
		if *from == "" {
			*from = f
		}
		if *to == "" {
			*to = t
		}
	}
	srcHV, src, err := st.vm(*from)
	if err != nil {
		return err
	}
	dstHV, dst, err := st.vm(*to)
	if err != nil {
		return err
	}
	if src.Switch == dst.Switch || srcHV.Name == dstHV.Name {
		return fmt.Errorf("%s and %s: want VMs on different subnets and hypervisors (a routed, tunnelled packet)", src.Name, dst.Name)
	}
	names, err := readSBNames(st.SB)
	if err != nil {
		return err
	}
	w := &walk{out: os.Stdout, names: names}
	fmt.Fprintf(w.out, "ICMP echo %s (%s on %s, %s) → %s (%s on %s, %s), routed by %s\n",
		src.Name, src.IP, srcHV.Name, src.Switch, dst.Name, dst.IP, dstHV.Name, dst.Switch, src.Router)
	w.leg(srcHV, src, dstHV, dst, 8)
	fmt.Fprintf(w.out, "and the reply:\n")
	w.leg(dstHV, dst, srcHV, src, 0)
	if *doTrace {
		fmt.Fprintf(w.out, "\ndvr-trace of the echo on %s (in_port=%s):\n", srcHV.Name, src.Name)
		if err := runTrace(w.out, *traceBin, st, srcHV, src, dst); err != nil {
			fmt.Fprintf(w.out, "  (dvr-trace: %v)\n", err)
		}
	}
	if len(w.wrong) > 0 {
		return fmt.Errorf("the packet walk is not what DVR promises:\n  %s", strings.Join(w.wrong, "\n  "))
	}
	fmt.Fprintf(w.out, "\nok: routed once on each side (TTL 63), DVR MAC and VNI on the wire, gateway MAC at the far VM\n")
	return nil
}

// pickPair is the first VM on hv1 and a VM on another subnet elsewhere.
func pickPair(st *State) (string, string, error) {
	if len(st.HVs) == 0 || len(st.HVs[0].VMs) == 0 {
		return "", "", fmt.Errorf("no VM on %s", "hv1")
	}
	src := st.HVs[0].VMs[0]
	for _, h := range st.HVs[1:] {
		for _, v := range h.VMs {
			if v.Switch != src.Switch {
				return src.Name, v.Name, nil
			}
		}
	}
	return "", "", fmt.Errorf("no VM on another subnet than %s's on another hypervisor", src.Name)
}

type walk struct {
	out   io.Writer
	names *sbNames
	step  int
	wrong []string
}

func (w *walk) hop(where, what string, bad []string) {
	w.step++
	mark := "ok"
	if len(bad) > 0 {
		mark = "WRONG: " + strings.Join(bad, "; ")
		w.wrong = append(w.wrong, where+": "+strings.Join(bad, "; "))
	}
	fmt.Fprintf(w.out, " %d. %-22s %s  [%s]\n", w.step, where, what, mark)
}

// leg sends one ICMP message (type 8 echo, 0 reply) from a to b and prints
// the hops: a's port, a's wire out, b's wire in, b's port.
func (w *walk) leg(aHV *HVState, a *VMState, bHV *HVState, b *VMState, typ int) {
	kind := map[int]string{8: "echo request", 0: "echo reply"}[typ]
	before := map[string]int{}
	for _, f := range []string{b.TxPcap, aHV.WireTx, bHV.WireRx} {
		before[f] = count(f)
	}
	flow := fmt.Sprintf("eth(src=%s,dst=%s),eth_type(0x0800),ipv4(src=%s,dst=%s,proto=1,tos=0,ttl=64,frag=no),icmp(type=%d,code=0)",
		a.MAC, a.GwMAC, a.IP, b.IP, typ)
	match := func(p *hvtest.Packet) bool {
		return p.IPv4 != nil && p.ICMP != nil && int(p.ICMP.Type) == typ && p.IPv4.Src.String() == a.IP && p.IPv4.Dst.String() == b.IP
	}
	var got *hvtest.Packet
	for try := 0; try < 5 && got == nil; try++ {
		if out, err := exec.Command("ovs-appctl", "-t", filepath.Join(aHV.Dir, "ovs-vswitchd.ctl"),
			"netdev-dummy/receive", a.Name, flow).CombinedOutput(); err != nil {
			w.hop(a.Name+" sends", "netdev-dummy/receive failed", []string{strings.TrimSpace(string(out))})
			return
		}
		for end := time.Now().Add(time.Second); got == nil && time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			got = find(b.TxPcap, before[b.TxPcap], match)
		}
	}
	w.hop(a.Name+" sends", fmt.Sprintf("%s > %s (%s's gateway MAC on %s)  %s > %s ttl 64  %s",
		a.MAC, a.GwMAC, a.Router, a.Switch, a.IP, b.IP, kind), nil)
	inner := func(p *hvtest.Packet) bool { return p.VXLAN != nil && p.VXLAN.Inner != nil && match(p.VXLAN.Inner) }
	wantVNI, dvr := w.names.vni[b.Switch], w.names.dvrMAC[aHV.Name]
	for _, x := range []struct {
		hv    *HVState
		pcap  string
		where string
	}{{aHV, aHV.WireTx, aHV.Name + "'s wire, out"}, {bHV, bHV.WireRx, bHV.Name + "'s wire, in"}} {
		f := find(x.pcap, before[x.pcap], inner)
		if f == nil {
			w.hop(x.where, "no VXLAN frame of it", []string{"not on the wire"})
			continue
		}
		in := f.VXLAN.Inner
		var bad []string
		if f.VXLAN.VNI != wantVNI {
			bad = append(bad, fmt.Sprintf("VNI %d, want %d (%s)", f.VXLAN.VNI, wantVNI, b.Switch))
		}
		if in.Src.String() != dvr {
			bad = append(bad, fmt.Sprintf("inner src %s, want %s (%s's DVR MAC)", in.Src, dvr, aHV.Name))
		}
		if in.Dst.String() != b.MAC || in.IPv4.TTL != 63 {
			bad = append(bad, fmt.Sprintf("inner dst %s ttl %d, want %s ttl 63", in.Dst, in.IPv4.TTL, b.MAC))
		}
		w.hop(x.where, fmt.Sprintf("%s > %s VXLAN VNI %d (%s)  inner %s (%s's DVR MAC) > %s (%s)  ttl %d: routed on %s",
			f.IPv4.Src, f.IPv4.Dst, f.VXLAN.VNI, b.Switch, in.Src, w.names.macOwner[in.Src.String()], in.Dst, b.Name, in.IPv4.TTL, aHV.Name), bad)
	}
	if got == nil {
		w.hop(b.Name+" receives", "nothing", []string{"never arrived (5 tries)"})
		return
	}
	var bad []string
	if got.Src.String() != b.GwMAC || got.Dst.String() != b.MAC || got.IPv4.TTL != 63 {
		bad = append(bad, fmt.Sprintf("want %s > %s ttl 63", b.GwMAC, b.MAC))
	}
	w.hop(b.Name+" receives", fmt.Sprintf("%s (%s's gateway MAC on %s) > %s  %s > %s ttl %d  %s",
		got.Src, b.Router, b.Switch, got.Dst, got.IPv4.Src, got.IPv4.Dst, got.IPv4.TTL, kind), bad)
}

func count(pcap string) int {
	ps, _ := hvtest.ReadPcap(pcap)
	return len(ps)
}

// find is the first frame after the first skip ones that cond accepts.
func find(pcap string, skip int, cond func(*hvtest.Packet) bool) *hvtest.Packet {
	ps, _ := hvtest.ReadPcap(pcap)
	for i, p := range ps {
		if i >= skip && cond(p) {
			return p
		}
	}
	return nil
}

// runTrace runs dvr-trace (next to dvr-sandbox) for the echo on the
// source hypervisor: from the VM to the router's interface on its subnet
// (into the qrouter namespace), and, after the kernel routed it (TTL 63,
// src := the gateway MAC on the far subnet), from the router's interface
// on the destination's subnet to the tunnel.
func runTrace(out io.Writer, bin string, st *State, hv *HVState, src, dst *VMState) error {
	if bin == "" {
		self, err := os.Executable()
		if err != nil {
			return err
		}
		bin = filepath.Join(filepath.Dir(self), "dvr-trace")
	}
	legs := []string{fmt.Sprintf("in_port=%s,icmp,dl_src=%s,dl_dst=%s,nw_src=%s,nw_dst=%s,nw_ttl=64,icmp_type=8",
		src.Name, src.MAC, src.GwMAC, src.IP, dst.IP)}
	if qo, err := routerPort(hv, dst.GwMAC); err == nil {
		legs = append(legs, fmt.Sprintf("in_port=%s,icmp,dl_src=%s,dl_dst=%s,nw_src=%s,nw_dst=%s,nw_ttl=63,icmp_type=8",
			qo, dst.GwMAC, dst.MAC, src.IP, dst.IP))
	} else {
		fmt.Fprintf(out, "  (no second leg: %v)\n", err)
	}
	for i, leg := range legs {
		if i == 1 {
			fmt.Fprintf(out, "\n... routed by the kernel in the qrouter namespace, back into br-int from %s's interface on %s:\n", dst.Router, dst.Switch)
		}
		fmt.Fprintf(out, "$ dvr-trace %s\n", leg)
		cmd := exec.Command(bin, "--ovs-rundir", hv.Dir, "--sb", st.SB, leg)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Run(); err != nil {
			return err
		}
	}
	return nil
}

// routerPort is the br-int port (qo-...) of the router interface with MAC
// mac: the peer of the qr- device holding it in a qrouter namespace.
func routerPort(hv *HVState, mac string) (string, error) {
	list, err := inHV(hv, "ip", "netns", "list")
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(list, "\n") {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		links, _ := inHV(hv, "ip", "-n", f[0], "-br", "link", "show")
		for _, ln := range strings.Split(links, "\n") {
			if g := strings.Fields(ln); len(g) >= 3 && g[2] == mac && strings.HasPrefix(g[0], "qr-") {
				name, _, _ := strings.Cut(g[0], "@")
				return "qo-" + strings.TrimPrefix(name, "qr-"), nil
			}
		}
	}
	return "", fmt.Errorf("no qr- device with MAC %s on %s", mac, hv.Name)
}
