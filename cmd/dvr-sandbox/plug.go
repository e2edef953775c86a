package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/dvr-ovn/dvr/internal/hvtest"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
)

// plug plugs a VM port on a hypervisor, as up plugs the seed's: a
// type=dummy interface on br-int with external_ids:iface-id=PORT and
// pcaps of both directions, so that `ping --from PORT` (or
// netdev-dummy/receive) sends from it and `ping --to PORT` reaches it.
// The port's MAC, IP and network come from its Port_Binding (the NB port
// must exist: dvr-nbctl lsp-add, lsp-set-addresses); the VM goes into
// sandbox.json. It waits until dvr-chassis has the port up.
//
//	dvr-sandbox plug [--run DIR] [--wait=false] HV PORT
func plug(args []string) error {
	fs := flag.NewFlagSet("plug", flag.ExitOnError)
	run := runFlag(fs)
	wait := fs.Bool("wait", true, "wait until the port is up (claimed, its flows installed)")
	timeout := fs.Duration("timeout", 30*time.Second, "how long --wait waits")
	_ = fs.Parse(args)
	if fs.NArg() != 2 {
		return fmt.Errorf("usage: dvr-sandbox plug [--run DIR] HV PORT")
	}
	hvName, port := fs.Arg(0), fs.Arg(1)
	if len(port) > 15 || strings.ContainsAny(port, " /=,") {
		return fmt.Errorf("%q: a port name here is at most 15 characters, no blanks, '/', '=' or ','", port)
	}
	var vm VMState
	err := updateState(*run, func(st *State) error {
		hv, err := st.hv(hvName)
		if err != nil || hv.Name == st.Underlay.Name {
			return fmt.Errorf("no hypervisor %q with a chassis in the sandbox", hvName)
		}
		if on, _, err := st.vm(port); err == nil {
			return fmt.Errorf("%s is plugged on %s already (dvr-sandbox unplug %s first)", port, on.Name, port)
		}
		if vm, err = portOf(st.SB, port); err != nil {
			return err
		}
		vm.TxPcap, vm.RxPcap, args = hvtest.VMPortArgs(hv.Dir, port, port, vm.MAC)
		if out, err := vsctl(hv, args...); err != nil {
			return fmt.Errorf("%s: %v: %s", hv.Name, err, out)
		}
		hv.VMs = append(hv.VMs, vm)
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Printf("%s plugged on %s: %s %s on %s (pcaps %s, %s)\n", port, hvName, vm.MAC, vm.IP, vm.Switch, vm.RxPcap, vm.TxPcap)
	if !*wait {
		return nil
	}
	st, err := readState(*run)
	if err != nil {
		return err
	}
	for end := time.Now().Add(*timeout); ; time.Sleep(100 * time.Millisecond) {
		up, chassis, err := portUp(st.SB, port)
		if err == nil && up && chassis == hvName {
			fmt.Printf("%s is up, bound to %s\n", port, hvName)
			return nil
		}
		if time.Now().After(end) {
			return fmt.Errorf("%s not up on %s within %v (bound to %q; see %s/dvr-chassis.log)", port, hvName, *timeout, chassis,
				filepath.Join(*run, hvName))
		}
	}
}

// unplug removes a VM port plugged by up or plug from its hypervisor's
// br-int and from sandbox.json; dvr-chassis releases its Port_Binding.
//
//	dvr-sandbox unplug [--run DIR] PORT
func unplug(args []string) error {
	fs := flag.NewFlagSet("unplug", flag.ExitOnError)
	run := runFlag(fs)
	_ = fs.Parse(args)
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: dvr-sandbox unplug [--run DIR] PORT")
	}
	port := fs.Arg(0)
	var hvName string
	err := updateState(*run, func(st *State) error {
		hv, _, err := st.vm(port)
		if err != nil {
			return err
		}
		if out, err := vsctl(hv, "--if-exists", "del-port", hvtest.IntegrationBridge, port); err != nil {
			return fmt.Errorf("%s: %v: %s", hv.Name, err, out)
		}
		for i, v := range hv.VMs {
			if v.Name == port {
				hv.VMs = append(hv.VMs[:i], hv.VMs[i+1:]...)
				break
			}
		}
		hvName = hv.Name
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Printf("%s unplugged from %s\n", port, hvName)
	return nil
}

// vsctl runs ovs-vsctl on a hypervisor's database (it waits for that
// hypervisor's ovs-vswitchd to apply the change).
func vsctl(hv *HVState, args ...string) (string, error) {
	cmd := exec.Command("ovs-vsctl", append([]string{"--db=unix:" + filepath.Join(hv.Dir, "db.sock"), "--timeout=20"}, args...)...)
	cmd.Env = hvEnv(hv)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// portOf is a VM port's MAC, IP, network and (if its network has one) the
// router interface on it, from the SB.
func portOf(sb, port string) (VMState, error) {
	vm := VMState{Name: port}
	pbs, err := sbSelect(sb, "Port_Binding", "logical_port", "type", "mac", "datapath", "options")
	if err != nil {
		return vm, err
	}
	dps, err := sbSelect(sb, "Datapath_Binding", "_uuid", "external_ids")
	if err != nil {
		return vm, err
	}
	dpName := map[string]string{}
	for _, d := range dps {
		dpName[d.str("_uuid")] = d.smap("external_ids")["name"]
	}
	dp := ""
	for _, pb := range pbs {
		if pb.str("logical_port") != port {
			continue
		}
		if t := pb.str("type"); t != "" {
			return vm, fmt.Errorf("%s is a %s port, not a VM port", port, t)
		}
		f := strings.Fields(pb.str("mac"))
		if len(f) < 2 || net.ParseIP(f[1]).To4() == nil {
			return vm, fmt.Errorf("%s has no \"MAC IPv4\" address (dvr-nbctl lsp-set-addresses %s \"MAC IP\")", port, port)
		}
		vm.MAC, vm.IP, dp = f[0], f[1], pb.str("datapath")
	}
	if dp == "" {
		return vm, fmt.Errorf("no Port_Binding %s in the SB (dvr-nbctl --wait=sb lsp-add SWITCH %s -- lsp-set-addresses %s \"MAC IP\")", port, port, port)
	}
	vm.Switch = dpName[dp]
	for _, pb := range pbs {
		if pb.str("datapath") != dp || pb.str("type") != sbkeys.TypeRouterInterface {
			continue
		}
		f := strings.Fields(pb.str("mac"))
		if len(f) < 2 {
			continue
		}
		gw, _, err := net.ParseCIDR(f[1])
		if err != nil {
			continue
		}
		vm.GwMAC, vm.GwIP, vm.Router = f[0], gw.String(), pb.smap("options")["router"]
	}
	return vm, nil
}

// portUp is a Port_Binding's up and the name of the chassis it is bound to.
func portUp(sb, port string) (bool, string, error) {
	pbs, err := sbSelect(sb, "Port_Binding", "logical_port", "up", "chassis")
	if err != nil {
		return false, "", err
	}
	chs, err := sbSelect(sb, "Chassis", "_uuid", "name")
	if err != nil {
		return false, "", err
	}
	for _, pb := range pbs {
		if pb.str("logical_port") != port {
			continue
		}
		name := ""
		for _, c := range chs {
			if c.str("_uuid") == pb.str("chassis") && pb.str("chassis") != "" {
				name = c.str("name")
			}
		}
		return pb.str("up") == "true", name, nil
	}
	return false, "", fmt.Errorf("no Port_Binding %s", port)
}

// updateState changes sandbox.json under the run dir's lock
// (sandbox.lock), so that plug, unplug and up's chassis restarts do not
// lose each other's changes.
func updateState(run string, change func(*State) error) error {
	f, err := os.OpenFile(filepath.Join(run, "sandbox.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	st, err := readState(run)
	if err != nil {
		return err
	}
	if err := change(st); err != nil {
		return err
	}
	return writeState(run, st)
}
