package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

// State is what `up` writes to <run>/sandbox.json once everything is
// plugged: the other subcommands (and scripts/demo.sh) read it.
type State struct {
	Pid      int       `json:"pid"`
	SB       string    `json:"sb"`
	Underlay HVState   `json:"underlay"`
	HVs      []HVState `json:"hypervisors"`
}

// HVState is one hypervisor.
type HVState struct {
	Name    string    `json:"name"`
	NetNS   string    `json:"netns"`
	Holder  int       `json:"holder_pid"`
	Dir     string    `json:"dir"` // OVS_RUNDIR: sockets, logs, pcaps
	IP      string    `json:"encap_ip,omitempty"`
	WireTx  string    `json:"wire_tx_pcap,omitempty"`
	WireRx  string    `json:"wire_rx_pcap,omitempty"`
	Chassis int       `json:"chassis_pid,omitempty"`
	VMs     []VMState `json:"vms,omitempty"`
}

// VMState is one plugged seed VM.
type VMState struct {
	Name   string `json:"name"`
	MAC    string `json:"mac"`
	IP     string `json:"ip"`
	Switch string `json:"switch"`
	GwMAC  string `json:"gateway_mac"`
	GwIP   string `json:"gateway_ip"`
	Router string `json:"router"`
	TxPcap string `json:"tx_pcap"` // what the VM received
	RxPcap string `json:"rx_pcap"` // what it sent
}

func statePath(run string) string { return filepath.Join(run, "sandbox.json") }

func writeState(run string, s *State) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := statePath(run) + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, statePath(run))
}

func readState(run string) (*State, error) {
	b, err := os.ReadFile(statePath(run))
	if err != nil {
		return nil, fmt.Errorf("no sandbox in %s (make demo starts one): %w", run, err)
	}
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", statePath(run), err)
	}
	return &s, nil
}

func (s *State) hv(name string) (*HVState, error) {
	for i := range s.HVs {
		if s.HVs[i].Name == name {
			return &s.HVs[i], nil
		}
	}
	if name == s.Underlay.Name {
		return &s.Underlay, nil
	}
	return nil, fmt.Errorf("no hypervisor %q in the sandbox", name)
}

// vm finds a VM and its hypervisor.
func (s *State) vm(name string) (*HVState, *VMState, error) {
	for i := range s.HVs {
		for j := range s.HVs[i].VMs {
			if s.HVs[i].VMs[j].Name == name {
				return &s.HVs[i], &s.HVs[i].VMs[j], nil
			}
		}
	}
	return nil, nil, fmt.Errorf("no VM %q in the sandbox", name)
}

// vms prints the plugged VM ports, one a line, as "VM HV".
func vms(args []string) error {
	fs := flag.NewFlagSet("vms", flag.ExitOnError)
	run := runFlag(fs)
	_ = fs.Parse(args)
	st, err := readState(*run)
	if err != nil {
		return err
	}
	for _, hv := range st.HVs {
		for _, v := range hv.VMs {
			fmt.Printf("%s %s\n", v.Name, hv.Name)
		}
	}
	return nil
}
