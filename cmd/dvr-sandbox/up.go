package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dvr-ovn/dvr/internal/hvtest"
	fixtures "github.com/dvr-ovn/dvr/ovsdb-fixtures"
)

// up boots the sandbox, writes the state file and waits for a signal.
func up(args []string) error {
	fs := flag.NewFlagSet("up", flag.ExitOnError)
	run := runFlag(fs)
	sb := fs.String("sb", "", "the SB for every dvr-chassis: a comma list for a RAFT cluster, ssl: remotes for TLS (default unix:<run>/sb.sock)")
	sbRead := fs.String("sb-read", "", "where dvr-sandbox itself reads the SB (ovsdb-client: one unix: remote; default the first unix: member of --sb, else unix:<run>/sb.sock)")
	pkiDir := fs.String("pki", "", "an ovs-pki CA made by internal/pki (the demo's TLS=1): each dvr-chassis gets a certificate with CN = its chassis name, and the --sb ssl: remotes are forwarded into every hypervisor")
	chassis := fs.String("chassis", "", "the dvr-chassis binary (default: next to dvr-sandbox)")
	placementFile := fs.String("placement", "", "placement JSON, chassis → VM ports (default: the seed's placement.json)")
	pidfile := fs.String("pidfile", "", "write the pid here (removed at exit)")
	_ = fs.Parse(args)
	dir, err := filepath.Abs(*run)
	if err != nil {
		return err
	}
	if *sb == "" {
		*sb = "unix:" + filepath.Join(dir, "sb.sock")
	}
	if *sbRead == "" { // the first unix: member of --sb, else the run dir's
		*sbRead = "unix:" + filepath.Join(dir, "sb.sock")
		for _, ep := range strings.Split(*sb, ",") {
			if ep = strings.TrimSpace(ep); strings.HasPrefix(ep, "unix:") {
				*sbRead = ep
				break
			}
		}
	}
	if *chassis == "" {
		self, err := os.Executable()
		if err != nil {
			return err
		}
		*chassis = filepath.Join(filepath.Dir(self), "dvr-chassis")
	}
	if st, err := readState(dir); err == nil && st.Pid != os.Getpid() && syscall.Kill(st.Pid, 0) == nil {
		return fmt.Errorf("a sandbox (pid %d) already runs in %s", st.Pid, dir)
	}
	placement, err := readPlacement(*placementFile)
	if err != nil {
		return err
	}
	if *pidfile != "" {
		if err := os.WriteFile(*pidfile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return err
		}
		defer os.Remove(*pidfile)
	}
	// Signals from now on: a TERM during boot still closes what was made.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)

	// The journal: what it makes, as it makes it, for demo-down should it
	// die without its cleanup (kill -9, its pid file gone).
	journal, err := openJournal(dir)
	if err != nil {
		return err
	}
	sbx, err := boot(dir, sbConfig{chassis: *sb, read: *sbRead, pki: *pkiDir}, *chassis, placement, journal)
	if err != nil {
		if sbx != nil {
			sbx.close()
		}
		return err
	}
	defer sbx.close()
	logf("ready: %d hypervisors, state in %s", len(sbx.hvs), statePath(dir))
	for {
		select {
		case s := <-sig:
			logf("%v: stopping every process by pid, removing namespaces and mounts", s)
			return nil
		case <-time.After(time.Second):
			sbx.superviseChassis()
		}
	}
}

// journalPath is where up writes what it makes (hvtest.Journal's lines
// after a first "sandbox PID STARTTIME BOOT_ID" line); close removes it.
func journalPath(run string) string { return filepath.Join(run, "sandbox.journal") }

func openJournal(run string) (*os.File, error) {
	f, err := os.OpenFile(journalPath(run), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	st, err := hvtest.StartTime(os.Getpid())
	if err != nil {
		f.Close()
		return nil, err
	}
	boot, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if _, err := fmt.Fprintf(f, "sandbox %d %s %s\n", os.Getpid(), st, strings.TrimSpace(string(boot))); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s dvr-sandbox: %s\n", time.Now().Format("15:04:05.000"), fmt.Sprintf(format, args...))
}

// readPlacement reads chassis → VM ports; "" is the seed's.
func readPlacement(file string) (fixtures.Placement, error) {
	var b []byte
	var err error
	if file == "" {
		b, err = fixtures.SeedFiles.ReadFile("seed/placement.json")
	} else {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, err
	}
	var p fixtures.Placement
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("placement %s: %w", file, err)
	}
	for i := 1; i <= len(p); i++ {
		if _, ok := p[fmt.Sprintf("hv%d", i)]; !ok {
			return nil, fmt.Errorf("placement: chassis must be hv1..hv%d", len(p))
		}
	}
	return p, nil
}

// seedPorts are the seed's VM ports by name, with their subnet.
func seedPorts() map[string]VMState {
	out := map[string]VMState{}
	for _, r := range fixtures.Seed().Routers {
		for _, s := range r.Subnets {
			for _, p := range s.Ports {
				out[p.Name] = VMState{Name: p.Name, MAC: p.MAC, IP: p.IP.String(), Switch: s.Switch,
					GwMAC: s.MAC, GwIP: s.Gateway().String(), Router: r.Name}
			}
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
