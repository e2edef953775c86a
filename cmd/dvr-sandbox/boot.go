package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dvr-ovn/dvr/internal/hvtest"
	"github.com/dvr-ovn/dvr/internal/pki"
	fixtures "github.com/dvr-ovn/dvr/ovsdb-fixtures"
)

// sandbox is what up made, closed in reverse.
type sandbox struct {
	run     string
	sw      *hvtest.Switch
	hvs     []*hvtest.HV
	chassis []*hvtest.Proc
	logs    []*os.File
	state   *State
	// restarted is when each dvr-chassis was last restarted.
	restarted []time.Time
	journal   *os.File
}

// sbConfig is how the sandbox's programs reach the SB.
type sbConfig struct {
	chassis string // --sb of every dvr-chassis
	read    string // dvr-sandbox's own reads (ovsdb-client)
	pki     string // "" or the CA that signs each chassis' certificate
}

// chassisTLS gives a hypervisor's dvr-chassis a certificate of its own
// (CN = its chassis name, as SB RBAC matches) and forwards the SB's
// ssl:/tcp: remotes into its netns; nothing without a PKI.
func chassisTLS(hv *hvtest.HV, sb sbConfig) ([]string, error) {
	if err := hv.ForwardEndpoints(sb.chassis); err != nil {
		return nil, err
	}
	if sb.pki == "" {
		return nil, nil
	}
	ca, err := pki.Open(sb.pki)
	if err != nil {
		return nil, err
	}
	pair, err := ca.Sign(hv.SystemID)
	if err != nil {
		return nil, err
	}
	return []string{"--private-key=" + pair.Key, "--certificate=" + pair.Cert, "--ca-cert=" + ca.CACert}, nil
}

// boot brings up the underlay and the hypervisors, a dvr-chassis in each,
// plugs the VMs and writes the state file. On error it returns what it
// made, for close.
func boot(run string, sb sbConfig, chassisBin string, placement fixtures.Placement, journal *os.File) (*sandbox, error) {
	if _, err := os.Stat(chassisBin); err != nil {
		return &sandbox{run: run, journal: journal}, fmt.Errorf("dvr-chassis: %w (make build)", err)
	}
	t0 := time.Now()
	sw, hvs, err := hvtest.BootNetwork("demo", len(placement), hvtest.Journal(journal))
	if err != nil {
		return &sandbox{run: run, journal: journal}, err // BootNetwork closed what it made
	}
	s := &sandbox{run: run, sw: sw, hvs: hvs, chassis: make([]*hvtest.Proc, len(hvs)), restarted: make([]time.Time, len(hvs)),
		journal: journal}
	logf("underlay and %d hypervisors up in %v", len(hvs), time.Since(t0).Round(time.Millisecond))
	if err := sw.PopulateARP(); err != nil {
		return s, err
	}
	for i, hv := range hvs {
		// run/<hv> is the hypervisor's OVS_RUNDIR (a short /tmp path: unix
		// sockets hold 107 bytes).
		link := filepath.Join(run, hv.Name)
		_ = os.Remove(link)
		if err := os.Symlink(hv.Dir, link); err != nil {
			return s, err
		}
		log, err := os.Create(filepath.Join(hv.Dir, "dvr-chassis.log"))
		if err != nil {
			return s, err
		}
		s.logs = append(s.logs, log)
		tlsArgs, err := chassisTLS(hv, sb)
		if err != nil {
			return s, err
		}
		p, err := hv.Launch(log, chassisBin, append([]string{"--sb", sb.chassis, "--ovs-db", hv.Endpoint(), "--datapath-type=netdev",
			"--encap-ip", hv.Uplink.IP(), "--pidfile", filepath.Join(hv.Dir, "dvr-chassis.pid")}, tlsArgs...)...)
		if err != nil {
			return s, err
		}
		s.chassis[i] = p
	}
	for i, hv := range hvs {
		if err := s.waitChassis(i, sb.read); err != nil {
			return s, err
		}
		logf("%s: dvr-chassis registered (pid %d), br-int and br-tun made", hv.Name, s.chassis[i].Pid())
	}
	st, err := s.plug(sb.read, placement)
	if err != nil {
		return s, err
	}
	s.state = st
	return s, writeState(run, st)
}

// superviseChassis starts again a dvr-chassis that exited (killed by
// hand, say), on the same flags, at most every 5 s: the holder kept its
// qrouter namespaces, and the new run finds them.
func (s *sandbox) superviseChassis() {
	for i, p := range s.chassis {
		if p.Running() || time.Since(s.restarted[i]) < 5*time.Second {
			continue
		}
		hv := s.hvs[i]
		code, _ := p.Wait(0)
		logf("%s: dvr-chassis (pid %d) exited %d: starting it again", hv.Name, p.Pid(), code)
		s.restarted[i] = time.Now()
		if err := p.Restart(); err != nil {
			logf("%s: restarting dvr-chassis: %v", hv.Name, err)
			continue
		}
		// Under the lock, on the file as it is now (plug and unplug
		// change it too).
		if err := updateState(s.run, func(st *State) error { st.HVs[i].Chassis = p.Pid(); return nil }); err != nil {
			logf("%v", err)
		}
		logf("%s: dvr-chassis restarted (pid %d)", hv.Name, p.Pid())
	}
}

// waitChassis waits until hv's chassis is in the SB and both its bridges
// exist (a port plugged before br-int is made would race the chassis).
func (s *sandbox) waitChassis(i int, sb string) error {
	hv := s.hvs[i]
	var last string
	for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if !s.chassis[i].Running() {
			return fmt.Errorf("%s: dvr-chassis exited: %s", hv.Name, s.chassisLog(i))
		}
		rows, err := sbSelect(sb, "Chassis", "name")
		if err != nil {
			last = err.Error()
			continue
		}
		found := false
		for _, r := range rows {
			found = found || r.str("name") == hv.SystemID
		}
		if !found {
			last = "not registered"
			continue
		}
		if _, err := hv.Vsctl("br-exists", "br-int"); err != nil {
			last = "no br-int"
			continue
		}
		if _, err := hv.Vsctl("br-exists", "br-tun"); err != nil {
			last = "no br-tun"
			continue
		}
		return nil
	}
	return fmt.Errorf("%s: dvr-chassis not ready in 30 s (%s); its log: %s", hv.Name, last, s.chassisLog(i))
}

// plug adds the placed VMs and returns the state to write.
func (s *sandbox) plug(sb string, placement fixtures.Placement) (*State, error) {
	ports := seedPorts()
	st := &State{Pid: os.Getpid(), SB: sb, Underlay: HVState{Name: "underlay", NetNS: s.sw.NetNS, Holder: s.sw.HolderPid(), Dir: s.sw.Dir}}
	for i, hv := range s.hvs {
		h := HVState{Name: hv.Name, NetNS: hv.NetNS, Holder: hv.HolderPid(), Dir: hv.Dir, IP: hv.Uplink.IP(),
			WireTx: hv.Uplink.TxPcap, WireRx: hv.Uplink.RxPcap, Chassis: s.chassis[i].Pid()}
		for _, name := range placement[hv.Name] {
			vm, ok := ports[name]
			if !ok {
				return nil, fmt.Errorf("placement: %s on %s is not a seed VM port", name, hv.Name)
			}
			p, err := hv.PlugVM(name, name, vm.MAC)
			if err != nil {
				return nil, err
			}
			vm.TxPcap, vm.RxPcap = p.TxPcap, p.RxPcap
			h.VMs = append(h.VMs, vm)
		}
		if len(h.VMs) > 0 {
			var names []string
			for _, v := range h.VMs {
				names = append(names, v.Name)
			}
			logf("%s: plugged %s", hv.Name, strings.Join(names, " "))
		}
		st.HVs = append(st.HVs, h)
	}
	return st, nil
}

func (s *sandbox) chassisLog(i int) string {
	b, _ := os.ReadFile(filepath.Join(s.hvs[i].Dir, "dvr-chassis.log"))
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return "\n" + strings.Join(lines, "\n")
}

// close stops everything by pid (each hypervisor's dvr-chassis first, as
// Close stops the newest process first), deletes the namespaces (the
// holders' exits take their mounts) and the state file and links.
func (s *sandbox) close() {
	_ = os.Remove(statePath(s.run))
	_ = os.Remove(filepath.Join(s.run, "sandbox.lock"))
	for i := len(s.hvs) - 1; i >= 0; i-- {
		if hv := s.hvs[i]; hv != nil {
			hv.Close()
			_ = os.Remove(filepath.Join(s.run, hv.Name))
		}
	}
	for _, l := range s.logs {
		l.Close()
	}
	if s.sw != nil && s.sw.HV != nil {
		s.sw.Close()
	}
	// Everything it noted is gone now.
	if s.journal != nil {
		s.journal.Close()
		_ = os.Remove(journalPath(s.run))
	}
	logf("stopped")
}
