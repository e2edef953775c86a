package hvtest

import (
	"fmt"
	"io"
	"os"
	"os/exec"
)

// runner is what a hypervisor needs of its owner: a testing.TB, or
// standalone for a program (a benchmark) that is not a test.
type runner interface {
	Helper()
	Name() string
	Cleanup(func())
	Failed() bool
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// standalone is the runner of a hypervisor started by Boot: it logs on
// stderr, registers no cleanup (the caller calls Close) and panics where a
// test would fail (the Must* methods).
type standalone struct{ name string }

func (s standalone) Helper()        {}
func (s standalone) Name() string   { return s.name }
func (s standalone) Cleanup(func()) {}
func (s standalone) Failed() bool   { return false }
func (s standalone) Logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "hvtest: "+format+"\n", args...)
}
func (s standalone) Errorf(format string, args ...any) { s.Logf(format, args...) }
func (s standalone) Fatal(args ...any)                 { panic("hvtest: " + fmt.Sprint(args...)) }
func (s standalone) Fatalf(format string, args ...any) {
	panic("hvtest: " + fmt.Sprintf(format, args...))
}

// Boot brings up one hypervisor outside a test (a benchmark program): the
// same recipe as Start, but errors are returned, and the caller must call
// Close (also on failure paths: it stops every process by pid). owner
// names the namespaces (hvt<pid>-<owner>-<name>-...). The Must* methods
// of a booted hypervisor panic instead of failing a test.
func Boot(owner, name string, opts ...Option) (*HV, error) {
	if err := canBoot(); err != nil {
		return nil, err
	}
	hvs, err := bootAll(standalone{owner}, []string{name}, nil, opts...)
	if err != nil {
		closeAll(hvs)
		return nil, err
	}
	return hvs[0], nil
}

// BootNetwork is Network outside a test (the demo's dvr-sandbox): the
// underlay switch and n hypervisors "hv1".."hvN" attached as
// 192.168.0.K/24, errors returned. The caller must call Close on the
// switch and on every hypervisor (on failure BootNetwork has closed what
// it made).
func BootNetwork(owner string, n int, opts ...Option) (*Switch, []*HV, error) {
	if err := canBoot(); err != nil {
		return nil, nil, err
	}
	sw, hvs, err := network(standalone{owner}, n, opts...)
	if err != nil {
		closeAll(hvs)
		if sw.HV != nil {
			sw.Close()
		}
		return nil, nil, err
	}
	return sw, hvs, nil
}

// canBoot is Require for a program: root, the binaries, the OVS schema.
func canBoot() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("hvtest needs root (network and mount namespaces)")
	}
	for _, b := range binaries {
		if _, err := exec.LookPath(b); err != nil {
			return err
		}
	}
	if _, err := os.Stat(VswitchSchema); err != nil {
		return err
	}
	return nil
}

func closeAll(hvs []*HV) {
	for _, hv := range hvs {
		if hv != nil {
			hv.Close()
		}
	}
}

// Launch starts a long-running process inside the hypervisor, as Spawn
// does, with its stdout and stderr written to out (nil: kept for Output),
// and returns an error instead of failing a test. It is stopped by pid at
// Close.
func (hv *HV) Launch(out io.Writer, name string, args ...string) (*Proc, error) {
	return hv.spawnCmd(name, func() *exec.Cmd {
		cmd := hv.Command(name, args...)
		if out != nil {
			cmd.Stdout, cmd.Stderr = out, out
		}
		return cmd
	})
}

// PlugVM is AddVMPort returning an error instead of failing a test.
func (hv *HV) PlugVM(name, ifaceID, mac string) (*VMPort, error) {
	vm, args := hv.vmArgs(name, ifaceID, mac)
	if out, err := hv.Vsctl(args...); err != nil {
		return nil, fmt.Errorf("%v: %s", err, out)
	}
	return vm, nil
}

// VMSpec is one VM port for PlugVMs.
type VMSpec struct{ Name, IfaceID, MAC string }

// PlugVMs plugs many VM ports at once (benchmarks): type=dummy interfaces
// on br-int with iface-id and attached-mac as PlugVM, without pcaps,
// perTxn ports to an ovs-vsctl transaction, each waited for until
// ovs-vswitchd has applied it. br-int (netdev, fail_mode=secure) is made
// first if it does not exist.
func (hv *HV) PlugVMs(vms []VMSpec, perTxn int) error {
	if out, err := hv.Vsctl("--may-exist", "add-br", IntegrationBridge, "--", "set", "Bridge", IntegrationBridge,
		"datapath_type=netdev", "fail_mode=secure"); err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	for i := 0; i < len(vms); i += perTxn {
		args := []string{"--timeout=1800"}
		for _, vm := range vms[i:min(i+perTxn, len(vms))] {
			args = append(args, "--", "add-port", IntegrationBridge, vm.Name, "--", "set", "Interface", vm.Name, "type=dummy",
				"external_ids:iface-id="+vm.IfaceID, fmt.Sprintf("external_ids:attached-mac=%q", vm.MAC),
				"external_ids:iface-status=active")
		}
		if out, err := hv.Vsctl(args...); err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
	}
	return nil
}
