package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/dvr-ovn/dvr/chassis/flows"
)

// show prints, per hypervisor, its DVR MAC, the routers it hosts, its
// br-int and br-tun flows grouped by Neutron table name, and its qrouter
// namespaces with their qr- devices and permanent neighbour entries.
func show(args []string) error {
	fs := flag.NewFlagSet("show", flag.ExitOnError)
	run := runFlag(fs)
	noFlows := fs.Bool("no-flows", false, "leave the flows out")
	_ = fs.Parse(args)
	st, err := readState(*run)
	if err != nil {
		return err
	}
	names, err := readSBNames(st.SB)
	if err != nil {
		return err
	}
	only := map[string]bool{}
	for _, a := range fs.Args() {
		if _, err := st.hv(a); err != nil || a == st.Underlay.Name {
			return fmt.Errorf("no hypervisor %q with a chassis in the sandbox", a)
		}
		only[a] = true
	}
	out := os.Stdout
	for i := range st.HVs {
		hv := &st.HVs[i]
		if len(only) > 0 && !only[hv.Name] {
			continue
		}
		var vms []string
		for _, v := range hv.VMs {
			vms = append(vms, fmt.Sprintf("%s (%s %s on %s)", v.Name, v.MAC, v.IP, v.Switch))
		}
		fmt.Fprintf(out, "=== %s: netns %s, holder pid %d, dvr-chassis pid %d, encap IP %s\n", hv.Name, hv.NetNS, hv.Holder, hv.Chassis, hv.IP)
		fmt.Fprintf(out, "DVR MAC: %s\n", or(names.dvrMAC[hv.Name], "(none yet)"))
		fmt.Fprintf(out, "hosted routers: %s\n", or(strings.Join(names.routersOf[hv.Name], " "), "(none)"))
		fmt.Fprintf(out, "VMs: %s\n", or(strings.Join(vms, ", "), "(none)"))
		if !*noFlows {
			for _, b := range []struct {
				name string
				br   flows.Bridge
			}{{"br-int", flows.BrInt}, {"br-tun", flows.BrTun}} {
				n, err := portNames(hv, b.name, names)
				if err != nil {
					return err
				}
				if err := dumpFlows(out, hv, b.name, b.br, n); err != nil {
					return err
				}
			}
		}
		if err := routerNamespaces(out, hv); err != nil {
			return err
		}
		fmt.Fprintln(out)
	}
	return nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// hvCmd runs an OVS tool for the hypervisor (sockets in its run dir).
func hvCmd(hv *HVState, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = hvEnv(hv)
	b, err := cmd.CombinedOutput()
	if err != nil {
		return string(b), fmt.Errorf("%s: %s %s: %v: %s", hv.Name, name, strings.Join(args, " "), err, strings.TrimSpace(string(b)))
	}
	return string(b), nil
}

// inHV runs a command inside the hypervisor (holder's mount and net namespaces).
func inHV(hv *HVState, args ...string) (string, error) {
	return hvCmd(hv, "nsenter", append([]string{"-t", strconv.Itoa(hv.Holder), "-m", "-n", "-r", "--"}, args...)...)
}

// portNames maps a bridge's ofports (dump-ports-desc) and the
// hypervisor's local VLANs (Port tag with other_config:dvr-network) to names.
func portNames(hv *HVState, bridge string, sn *sbNames) (flows.Names, error) {
	n := flows.Names{Ports: map[int32]string{}, VLANs: map[uint16]string{}}
	out, err := hvCmd(hv, "ovs-ofctl", "-O", "OpenFlow13", "dump-ports-desc", bridge)
	if err != nil {
		return n, err
	}
	for _, m := range portDescRE.FindAllStringSubmatch(out, -1) {
		if p, err := strconv.Atoi(m[1]); err == nil {
			n.Ports[int32(p)] = m[2]
		}
	}
	db := "--db=unix:" + filepath.Join(hv.Dir, "db.sock")
	out, err = hvCmd(hv, "ovs-vsctl", db, "--format=json", "--columns=tag,other_config", "list", "Port")
	if err != nil {
		return n, err
	}
	var t struct{ Data [][]any }
	if err := json.Unmarshal([]byte(out), &t); err != nil {
		return n, err
	}
	for _, r := range t.Data {
		tag, ok := r[0].(float64)
		if !ok {
			continue
		}
		if ls := (row{"oc": r[1]}).smap("oc")["dvr-network"]; ls != "" {
			n.VLANs[uint16(tag)] = or(sn.lsName[ls], ls)
		}
	}
	return n, nil
}

// portDescRE is one port of `ovs-ofctl dump-ports-desc`: " 1(patch-tun): addr:...".
var portDescRE = regexp.MustCompile(`(?m)^\s*(\d+)\(([^)]+)\):`)

// dumpFlows prints a bridge's flows grouped by table, symbolized.
func dumpFlows(out io.Writer, hv *HVState, bridge string, b flows.Bridge, n flows.Names) error {
	text, err := hvCmd(hv, "ovs-ofctl", "-O", "OpenFlow13", "--no-names", "--no-stats", "dump-flows", bridge)
	if err != nil {
		return err
	}
	es, err := flows.ParseDump(text)
	if err != nil {
		return fmt.Errorf("%s %s: %w", hv.Name, bridge, err)
	}
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Table != es[j].Table {
			return es[i].Table < es[j].Table
		}
		return es[i].Priority > es[j].Priority
	})
	fmt.Fprintf(out, "%s flows (%d), by table:\n", bridge, len(es))
	for i, e := range es {
		if i == 0 || es[i-1].Table != e.Table {
			name := strconv.Itoa(int(e.Table))
			if t, ok := flows.TableOf(b, e.Table); ok {
				name = fmt.Sprintf("%s(%d)", t.Name(), e.Table)
			}
			fmt.Fprintf(out, "  %s\n", name)
		}
		s := flows.Symbolize(e, b, n)
		if _, rest, ok := strings.Cut(s, " "); ok && strings.HasPrefix(s, "table=") {
			s = rest
		}
		fmt.Fprintf(out, "    %s\n", s)
	}
	return nil
}

// routerNamespaces prints each namespace in the hypervisor's /run/netns
// with its devices and permanent neighbour entries.
func routerNamespaces(out io.Writer, hv *HVState) error {
	list, err := inHV(hv, "ip", "netns", "list")
	if err != nil {
		return err
	}
	var nss []string
	for _, l := range strings.Split(strings.TrimSpace(list), "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			nss = append(nss, f[0])
		}
	}
	sort.Strings(nss)
	if len(nss) == 0 {
		fmt.Fprintf(out, "router namespaces: (none)\n")
		return nil
	}
	fmt.Fprintf(out, "router namespaces:\n")
	for _, ns := range nss {
		fmt.Fprintf(out, "  %s\n", ns)
		addrs, err := inHV(hv, "ip", "-n", ns, "-br", "addr", "show")
		if err != nil {
			return err
		}
		links, _ := inHV(hv, "ip", "-n", ns, "-br", "link", "show")
		mac := map[string]string{}
		for _, l := range strings.Split(links, "\n") {
			if f := strings.Fields(l); len(f) >= 3 {
				mac[f[0]] = f[2]
			}
		}
		for _, l := range strings.Split(strings.TrimSpace(addrs), "\n") {
			f := strings.Fields(l)
			if len(f) < 2 || f[0] == "lo" {
				continue
			}
			fmt.Fprintf(out, "    %-22s %-7s %s  %s\n", f[0], f[1], mac[f[0]], strings.Join(f[2:], " "))
		}
		neigh, err := inHV(hv, "ip", "-n", ns, "neigh", "show", "nud", "permanent")
		if err != nil {
			return err
		}
		for _, l := range strings.Split(strings.TrimSpace(neigh), "\n") {
			if l != "" {
				fmt.Fprintf(out, "    neigh %s\n", l)
			}
		}
	}
	return nil
}
