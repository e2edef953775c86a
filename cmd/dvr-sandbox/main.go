// Command dvr-sandbox owns the simulated hypervisors of `make demo`: an
// underlay switch and hv1..hvN (internal/hvtest: each its own network
// namespace, ovsdb-server and ovs-vswitchd --disable-system
// --enable-dummy, a holder process with a private /run/netns), each with
// its dvr-chassis, and the seed VMs plugged as dummy ports where the
// placement puts them. Their processes die with it (Pdeathsig), so it
// stays in the foreground until SIGTERM or SIGINT and then stops every
// process by pid and removes its namespaces and mounts. A dvr-chassis
// that exits (killed by hand) is started again on the same flags; its
// hypervisor's holder kept the qrouter namespaces, so the new run finds
// them.
//
//	dvr-sandbox up   --run DIR --sb unix:DIR/sb.sock [--pidfile F]   # boot, write DIR/sandbox.json, wait
//	                 [--sb-read unix:DIR/sb.sock] [--pki DIR/pki]    # clusters, TLS: see up.go
//	dvr-sandbox show --run DIR                                       # per hypervisor: DVR MAC, routers, flows, namespaces
//	dvr-sandbox ping --run DIR [--from vm11 --to vm22]               # a real ICMP echo, hop by hop from the pcaps
//	dvr-sandbox exec --run DIR hv1 CMD...                            # run CMD inside hv1 (its netns and /run/netns)
//	dvr-sandbox vms  --run DIR                                       # the plugged VM ports, one a line
//	dvr-sandbox plug --run DIR hv2 vm13                              # plug the NB port vm13 on hv2 (a dummy port), wait until up
//	dvr-sandbox unplug --run DIR vm13                                # and take it out again
//
// scripts/demo.sh starts it detached and scripts/demo-down.sh stops it.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "up":
		err = up(args)
	case "show":
		err = show(args)
	case "ping":
		err = ping(args)
	case "exec":
		err = execIn(args)
	case "vms":
		err = vms(args)
	case "plug":
		err = plug(args)
	case "unplug":
		err = unplug(args)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "dvr-sandbox: %v\n", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: dvr-sandbox up|show|ping|exec|vms|plug|unplug --run DIR ... (see `go doc ./cmd/dvr-sandbox`)")
	os.Exit(2)
}

// runFlag is --run, the demo's run directory (default $DVR_DEMO_DIR, then ./run/demo).
func runFlag(fs *flag.FlagSet) *string {
	def := os.Getenv("DVR_DEMO_DIR")
	if def == "" {
		def = "run/demo"
	}
	return fs.String("run", def, "the demo's run directory (holds sandbox.json)")
}
