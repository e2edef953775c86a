package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// execIn runs a command inside a hypervisor: its network namespace and
// its holder's mount namespace (the private /run/netns with the qrouter
// namespaces), with OVS_RUNDIR and friends set, as hvtest does.
func execIn(args []string) error {
	fs := flag.NewFlagSet("exec", flag.ExitOnError)
	run := runFlag(fs)
	_ = fs.Parse(args)
	if fs.NArg() < 2 {
		return fmt.Errorf("usage: dvr-sandbox exec [--run DIR] HV CMD [ARGS...]")
	}
	st, err := readState(*run)
	if err != nil {
		return err
	}
	hv, err := st.hv(fs.Arg(0))
	if err != nil {
		return err
	}
	nsenter, err := exec.LookPath("nsenter")
	if err != nil {
		return err
	}
	argv := append([]string{"nsenter", "-t", strconv.Itoa(hv.Holder), "-m", "-n", "-r", "--"}, fs.Args()[1:]...)
	return syscall.Exec(nsenter, argv, hvEnv(hv))
}

// hvEnv is the environment for OVS tools of a hypervisor.
func hvEnv(hv *HVState) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OVS_") {
			env = append(env, kv)
		}
	}
	return append(env, "OVS_RUNDIR="+hv.Dir, "OVS_LOGDIR="+hv.Dir, "OVS_DBDIR="+hv.Dir, "OVS_SYSCONFDIR="+hv.Dir)
}
