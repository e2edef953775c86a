// Package hvtest runs simulated hypervisors on one machine for tests of
// dvr-chassis and the end-to-end suite: real ovs-vswitchd in userspace,
// real network namespaces, real VXLAN packets between hypervisors.
//
// A hypervisor (Start, StartAll) is
//   - a network namespace of its own, named hvt<pid>-<test>-<name>-<random>
//     in the host's /run/netns and deleted at cleanup;
//   - a holder process (ip netns exec <ns> unshare --mount --propagation
//     private, a tmpfs on /run/netns, then sleep) whose mount namespace
//     gives the hypervisor a private /run/netns that outlives any one
//     process started in it;
//   - its own ovsdb-server (the Open_vSwitch schema shipped with OVS, the
//     database in a short temp dir, a unix socket, external_ids:system-id,
//     hostname and, with EncapIP or after Attach, ovn-encap-ip) and
//     ovs-vswitchd --disable-system --enable-dummy, both in the netns
//     (ovsdb-server in the host's mount namespace, so that it can start
//     while the holder comes up; ovs-vswitchd in the holder's).
//
// Plain --enable-dummy, not =override: with override, internal ports
// become dummy-internal and have no kernel device, so there would be no
// qr- device to move into a router namespace.
//
// Every other process the harness starts runs in the holder's mount and
// network namespaces (nsenter -t <holder> -m -n) with OVS_RUNDIR and friends set to
// the hypervisor's RunDir, has a pid file and a log where it is an OVS
// daemon, and is a child of the test: Pdeathsig kills it if the test
// binary dies, and cleanup stops it by pid even when the test fails (no
// pkill). Exec runs a command to completion, Spawn a long-running one
// (e.g. one dvr-chassis run; a second run started later sees the
// qrouter namespaces the first one made). Vsctl, Ofctl (OpenFlow 1.3 by
// default) and Appctl act on the hypervisor's OVS; AddVMPort plugs a VM
// (a type=dummy port on br-int with external_ids:iface-id and pcaps);
// VMPort.Receive injects a frame; ReadPcap and Decode read captures,
// VXLAN included; PortStats reads live OpenFlow counters. NamespacePath
// names a namespace of the private /run/netns as the test process can
// open it (/proc/<holder>/root/run/netns/<name>), for netlink inspection
// without a process. RestartVswitchd and RestartDB restart a daemon by pid
// on the same files and sockets; Close tears a hypervisor down early.
//
// Why a holder and not "unshare -m ... exec dvr-chassis": a process
// started in a mount namespace of its own takes that namespace with it
// when it exits, and with it the bind mounts under its /run/netns that
// keep its qrouter namespaces alive: the namespaces and the veths in them
// vanish (TestOwnMountNamespaceLosesNamespaces shows it), so a chassis
// restart could never find its previous state. The holder keeps them for
// as long as the hypervisor lives, and parallel tests (each hypervisor
// has its own holder) never see each other's namespaces; the host's
// /run/netns sees none of them.
//
// Underlay: Underlay starts one more ovs-vswitchd and ovsdb-server in a
// namespace of their own with a NORMAL bridge, and Switch.Attach plugs a
// hypervisor into it as OVN's net_add/net_attach do: br-phy
// (datapath_type=netdev, hwaddr 02:00:<IPv4>), the address on its local
// port (a tap) set in the hypervisor's netns (by netlink), so that
// ovs-vswitchd learns the connected route, and a dummy "wire" port with
// options:stream to a pstream port on the switch. Network starts the
// switch and N hypervisors in parallel and attaches them. A learning
// switch is needed: three hypervisors on one point-to-point wire do not
// work and a full mesh of wires loops. Underlay ARP works (the first
// tunnelled packet to a new neighbour is spent on it); PopulateARP fills
// every tnl/neigh table up front instead.
//
// Control network: a hypervisor's netns has only its loopback and the
// underlay, so a database's tcp:/ssl: remote on the host's 127.0.0.1 is
// out of its reach. ForwardTCP (ForwardEndpoints for a comma list) opens
// a listener at the same address inside the netns and pipes each
// connection to the host's, byte for byte: SSL stays end to end, and
// every program gets the same endpoint list (unix: sockets need nothing).
//
// Pdeathsig is tied to the thread that started the child, not to the
// process: a child started from a goroutine's thread that later exits
// locked (netns.NewNamed callers are told to do exactly that) would be
// killed at that moment. The harness starts every child from one thread
// per hypervisor that it keeps locked and alive; Command only builds a
// command, and a caller that starts it itself takes that risk.
//
// Private propagation cuts both ways: a file the test writes anywhere is
// seen inside (same filesystems), but a mount the test makes after Start
// (ovsdbtest.OnTmpfs, say) is not, and a mount made inside never reaches
// the host.
//
// Outside a test: Boot brings up one hypervisor for a program (the
// chassis benchmark, bench/chassis) with the same recipe, returning errors
// instead of failing a test; its caller must Close it. BootNetwork is
// Network the same way (the demo's cmd/dvr-sandbox), PlugVM is AddVMPort
// and Launch is Spawn with an output writer and an error.
//
// Cost: BenchmarkStart and BenchmarkNetwork3 measure a bring-up
// (go test -run '^$' -bench . -benchtime 10x ./internal/hvtest).
//
// Under CI=true a missing binary or lack of root fails the test;
// elsewhere it is skipped. A test binary killed by -timeout skips its
// cleanups: its daemons die by Pdeathsig, and the next Start sweeps the
// namespaces and run directories whose hvt<pid> no longer runs. With
// HVTEST_KEEP set, a failed test's run directories (logs, pcaps, conf.db)
// are kept.
package hvtest
