package router_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/sirupsen/logrus"

	"github.com/dvr-ovn/dvr/chassis"
	"github.com/dvr-ovn/dvr/chassis/router"
)

// The applier runs inside the hypervisor, as dvr-chassis will: the test
// binary re-executes itself through hv.Exec (nsenter into the holder's
// mount and network namespaces) as "router-helper <input.json>
// <system-id> <result.json>". Inside, /run/netns is the hypervisor's
// private one, so namespaces can be created and named there (a bind
// mount made from the test's own mount namespace could not reach it),
// and each run is a fresh process: a second run is a daemon restart.
func TestMain(m *testing.M) {
	if len(os.Args) == 5 && os.Args[1] == "router-helper" {
		if err := helper(os.Args[2], os.Args[3], os.Args[4]); err != nil {
			fmt.Fprintln(os.Stderr, "router-helper:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func helper(inPath, systemID, outPath string) error {
	b, err := os.ReadFile(inPath)
	if err != nil {
		return err
	}
	var in router.Input
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	log := logrus.New()
	log.SetOutput(os.Stderr)
	st, skipped := router.Desired(in)
	for _, s := range skipped {
		log.WithFields(logrus.Fields{"router": s.Router, "port": s.Port, "item": s.Item}).Warn(s.Reason)
	}
	a := &router.Applier{SystemID: systemID, Plumber: vsctlPlumber{systemID}, Log: log}
	res, err := a.Apply(st)
	if err != nil {
		return err
	}
	out, err := json.Marshal(res)
	if err != nil {
		return err
	}
	return os.WriteFile(outPath, out, 0o644)
}

// vsctlPlumber is the test's OVS side: ovs-vsctl on the hypervisor's
// database (OVS_RUNDIR is set by the harness).
type vsctlPlumber struct{ systemID string }

func (p vsctlPlumber) Plug(port router.Port) error {
	if port.Replug {
		if err := vsctl("--if-exists", "del-port", "br-int", port.Outer); err != nil {
			return err
		}
	}
	return vsctl("--may-exist", "add-port", "br-int", port.Outer, "--",
		"set", "Port", port.Outer, fmt.Sprintf("tag=%d", port.VLAN),
		"external_ids:"+chassis.OwnerKey+"="+p.systemID, "--",
		"set", "Interface", port.Outer, "external_ids:"+chassis.OwnerKey+"="+p.systemID)
}

func (p vsctlPlumber) Unplug(port router.Port) error {
	return vsctl("--if-exists", "del-port", "br-int", port.Outer)
}

func vsctl(args ...string) error {
	out, err := exec.Command("ovs-vsctl", append([]string{"--timeout=10"}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ovs-vsctl %v: %w: %s", args, err, out)
	}
	return nil
}
