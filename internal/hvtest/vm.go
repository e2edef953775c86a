package hvtest

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// IntegrationBridge is the bridge VM ports are plugged into.
const IntegrationBridge = "br-int"

// VMPort is a simulated VM: a type=dummy interface on br-int.
type VMPort struct {
	HV      *HV
	Name    string
	IfaceID string
	MAC     string
	// TxPcap holds what OVS sent out of the port (what the VM received);
	// RxPcap what the VM sent (what Receive injected).
	TxPcap, RxPcap string
}

// AddVMPort plugs a VM: a type=dummy interface name on br-int with
// external_ids:iface-id=ifaceID and attached-mac=mac, and pcaps of both
// directions in RunDir. If br-int does not exist yet it is created with
// datapath_type=netdev and fail_mode=secure, as dvr-chassis would make it
// (so a port can be plugged before the chassis daemon runs).
func (hv *HV) AddVMPort(name, ifaceID, mac string) *VMPort {
	hv.tb.Helper()
	vm, args := hv.vmArgs(name, ifaceID, mac)
	hv.MustVsctl(args...)
	return vm
}

// vmArgs are the ovs-vsctl arguments plugging a VM port.
func (hv *HV) vmArgs(name, ifaceID, mac string) (*VMPort, []string) {
	vm := &VMPort{HV: hv, Name: name, IfaceID: ifaceID, MAC: mac}
	var args []string
	if _, err := hv.Vsctl("br-exists", IntegrationBridge); err != nil {
		args = append(args, "add-br", IntegrationBridge, "--", "set", "Bridge", IntegrationBridge,
			"datapath_type=netdev", "fail_mode=secure", "--")
	}
	var plug []string
	vm.TxPcap, vm.RxPcap, plug = VMPortArgs(hv.Dir, name, ifaceID, mac)
	return vm, append(args, plug...)
}

// VMPortArgs are the ovs-vsctl arguments that plug a VM port into an
// existing br-int of the hypervisor whose run directory is dir (a program
// that has only that, e.g. dvr-sandbox plug), and the pcaps of what OVS
// sends to it (tx) and what it sends (rx).
func VMPortArgs(dir, name, ifaceID, mac string) (tx, rx string, args []string) {
	tx, rx = filepath.Join(dir, name+"-tx.pcap"), filepath.Join(dir, name+"-rx.pcap")
	return tx, rx, []string{"add-port", IntegrationBridge, name, "--",
		"set", "Interface", name, "type=dummy",
		"external_ids:iface-id=" + ifaceID,
		fmt.Sprintf("external_ids:attached-mac=%q", mac),
		"external_ids:iface-status=active",
		"options:tx_pcap=" + tx, "options:rxq_pcap=" + rx}
}

// Receive injects a frame as if the VM had sent it (netdev-dummy/receive):
// a flow in ODP syntax, e.g. "eth(src=..,dst=..),eth_type(0x0800),ipv4(...)",
// or hex bytes.
func (vm *VMPort) Receive(packet string) error {
	out, err := vm.HV.Appctl("netdev-dummy/receive", vm.Name, packet)
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

// Unplug removes the VM's port from br-int.
func (vm *VMPort) Unplug() error {
	out, err := vm.HV.Vsctl("del-port", IntegrationBridge, vm.Name)
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

// Sent reads the frames OVS delivered to the VM (TxPcap).
func (vm *VMPort) Sent() ([]*Packet, error) { return ReadPcap(vm.TxPcap) }

// PortStats are OpenFlow port counters (ovs-ofctl dump-ports), read live
// from ovs-vswitchd (the Interface statistics column lags by seconds).
type PortStats struct{ RxPackets, TxPackets, RxBytes, TxBytes uint64 }

var (
	rxRE = regexp.MustCompile(`rx pkts=(\d+), bytes=(\d+)`)
	txRE = regexp.MustCompile(`tx pkts=(\d+), bytes=(\d+)`)
)

// PortStats returns the counters of one port of a bridge.
func (hv *HV) PortStats(bridge, port string) (PortStats, error) {
	out, err := hv.Ofctl("dump-ports", bridge, port)
	if err != nil {
		return PortStats{}, fmt.Errorf("%v: %s", err, out)
	}
	rx, tx := rxRE.FindStringSubmatch(out), txRE.FindStringSubmatch(out)
	if rx == nil || tx == nil {
		return PortStats{}, fmt.Errorf("%s: dump-ports %s %s: no counters in %q", hv.Name, bridge, port, strings.TrimSpace(out))
	}
	n := func(s string) uint64 { v, _ := strconv.ParseUint(s, 10, 64); return v }
	return PortStats{RxPackets: n(rx[1]), RxBytes: n(rx[2]), TxPackets: n(tx[1]), TxBytes: n(tx[2])}, nil
}
