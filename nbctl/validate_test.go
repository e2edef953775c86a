package nbctl

import (
	"strings"
	"testing"
)

// TestRejectedLeavesDatabaseUnchanged runs every class of bad input against
// the seed topology: each must fail with a one-line error naming the bad
// value, and the database must be byte-for-byte what it was.
func TestRejectedLeavesDatabaseUnchanged(t *testing.T) {
	n := startNB(t)
	n.seed()
	cases := []struct {
		name string
		args []string
		want string // substring of the error: the bad value and why
	}{
		// MACs
		{"malformed MAC", []string{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:01:zz 10.0.1.13"}, "fa:16:3e:00:01:zz: invalid MAC"},
		{"short MAC", []string{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:01 10.0.1.13"}, "fa:16:3e:00:01: invalid MAC"},
		{"multicast MAC", []string{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "01:00:5e:00:00:01 10.0.1.13"}, "01:00:5e:00:00:01: MAC address is multicast"},
		{"broadcast MAC", []string{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "ff:ff:ff:ff:ff:ff 10.0.1.13"}, "ff:ff:ff:ff:ff:ff: MAC address is multicast"},
		{"router multicast MAC", []string{"lrp-add", "r1", "r1-x", "03:00:00:00:00:01", "10.0.9.1/24"}, "03:00:00:00:00:01: MAC address is multicast"},
		{"IP before MAC", []string{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "10.0.1.13 fa:16:3e:00:01:0d"}, "MAC must come before"},
		// IPs
		{"IPv4 out of range", []string{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:01:0d 10.0.1.300"}, "10.0.1.300: invalid IP"},
		{"IPv6 malformed", []string{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:01:0d fd00::zz"}, "fd00::zz: invalid IP"},
		{"IPv6 out of range", []string{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:01:0d fd00::1ffff"}, "fd00::1ffff: invalid IP"},
		{"IP with prefix", []string{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:01:0d 10.0.1.13/24"}, "10.0.1.13/24: a port address takes no prefix"},
		{"dynamic", []string{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "dynamic"}, "dynamic addresses are not supported"},
		{"MAC dynamic", []string{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:01:0d dynamic"}, "dynamic addresses are not supported"},
		// router networks
		{"network without prefix", []string{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "10.0.9.1"}, "10.0.9.1: invalid network: a prefix length is required"},
		{"network /0", []string{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "10.0.9.1/0"}, "10.0.9.1/0: invalid network: prefix length 0"},
		{"network is subnet address", []string{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "10.0.9.0/24"}, "10.0.9.0/24: invalid network: 10.0.9.0 is the subnet's network address"},
		{"network is broadcast", []string{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "10.0.9.255/24"}, "10.0.9.255/24: invalid network: 10.0.9.255 is the subnet's broadcast address"},
		{"network out of range", []string{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "10.0.9.300/24"}, "10.0.9.300/24: invalid network address"},
		{"network prefix too long", []string{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "10.0.9.1/33"}, "10.0.9.1/33: invalid network address"},
		{"overlap on same router", []string{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "10.0.1.129/25"}, "10.0.1.129/25: network overlaps 10.0.1.1/24 of port r1-sw1 on router r1"},
		{"overlap within one port", []string{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "10.0.9.1/24", "10.0.9.129/25"}, "10.0.9.129/25: network overlaps 10.0.9.1/24"},
		{"overlap via lr-attach", []string{"ls-add", "sw3", "--", "lr-attach", "r1", "sw3", "r1-sw3", "fa:16:3e:00:ff:03", "10.0.0.1/16"}, "10.0.0.1/16: network overlaps"},
		// duplicates
		{"duplicate switch", []string{"ls-add", "sw1"}, "sw1: a switch with this name already exists"},
		{"duplicate router", []string{"lr-add", "r1"}, "r1: a router with this name already exists"},
		{"duplicate port", []string{"lsp-add", "sw2", "vm11"}, "vm11: a port with this name already exists"},
		{"duplicate port in chain", []string{"lsp-add", "sw2", "vm99", "--", "lsp-add", "sw1", "vm99"}, "vm99: a port with this name already exists"},
		{"duplicate router port", []string{"lrp-add", "r1", "r1-sw1", "fa:16:3e:00:ff:09", "10.0.9.1/24"}, "r1-sw1: a port with this name already exists"},
		{"may-exist port on other switch", []string{"--may-exist", "lsp-add", "sw2", "vm11"}, "vm11: port already exists but in switch sw1"},
		{"may-exist router port other mac", []string{"--may-exist", "lrp-add", "r1", "r1-sw1", "fa:16:3e:00:ff:09", "10.0.1.1/24"}, "r1-sw1: port already exists with mac fa:16:3e:00:ff:01"},
		{"may-exist router port other network", []string{"--may-exist", "lrp-add", "r1", "r1-sw1", "fa:16:3e:00:ff:01", "10.0.1.2/24"}, "r1-sw1: port already exists with different network"},
		{"may-exist router port other router", []string{"lr-add", "r2", "--", "--may-exist", "lrp-add", "r2", "r1-sw1", "fa:16:3e:00:ff:01", "10.0.1.1/24"}, "r1-sw1: port already exists but in router r1"},
		// addresses in use on the switch
		{"IP used by a port", []string{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:01:0d 10.0.1.12"}, "10.0.1.12: IP address already used on switch sw1 by port vm12"},
		{"IP is the gateway's", []string{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:01:0d 10.0.1.1"}, "10.0.1.1: IP address already used on switch sw1 by router port r1-sw1"},
		{"MAC used by a port", []string{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:01:0b 10.0.1.13"}, "fa:16:3e:00:01:0b: MAC address already used on switch sw1 by port vm11"},
		{"MAC is the gateway's", []string{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:ff:01 10.0.1.13"}, "fa:16:3e:00:ff:01: MAC address already used on switch sw1 by router port r1-sw1"},
		{"IP used twice in one chain", []string{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:01:0d 10.0.1.13",
			"--", "lsp-add", "sw1", "vm14", "--", "lsp-set-addresses", "vm14", "fa:16:3e:00:01:0e 10.0.1.13"}, "10.0.1.13: IP address already used on switch sw1 by port vm13"},
		{"gateway IP taken by a port", []string{"lr-add", "r2", "--", "lr-attach", "r2", "sw1", "r2-sw1", "fa:16:3e:00:ff:21", "10.0.1.11/24"}, "10.0.1.11: IP address already used on switch sw1 by port vm11"},
		{"gateway MAC taken by a port", []string{"lr-add", "r2", "--", "lr-attach", "r2", "sw1", "r2-sw1", "fa:16:3e:00:01:0b", "10.0.1.254/24"}, "fa:16:3e:00:01:0b: MAC address already used on switch sw1 by port vm11"},
		{"IP given twice", []string{"lsp-set-addresses", "vm11", "fa:16:3e:00:01:0b 10.0.1.11 10.0.1.11"}, "10.0.1.11: IP address listed twice"},
		// missing objects
		{"lsp-add on missing switch", []string{"lsp-add", "nosuch", "vm13"}, "nosuch: switch name not found"},
		{"lsp-del missing port", []string{"lsp-del", "nosuch"}, "nosuch: port name not found"},
		{"ls-del missing switch", []string{"ls-del", "nosuch"}, "nosuch: switch name not found"},
		{"ls-del missing uuid", []string{"ls-del", "00000000-0000-0000-0000-000000000001"}, "00000000-0000-0000-0000-000000000001: switch uuid not found"},
		{"lr-del missing router", []string{"lr-del", "nosuch"}, "nosuch: router name not found"},
		{"lrp-add on missing router", []string{"lrp-add", "nosuch", "p", "fa:16:3e:00:ff:09", "10.0.9.1/24"}, "nosuch: router name not found"},
		{"lrp-del missing port", []string{"lrp-del", "nosuch"}, "nosuch: port name not found"},
		{"lr-attach missing switch", []string{"lr-attach", "r1", "nosuch", "r1-x", "fa:16:3e:00:ff:09", "10.0.9.1/24"}, "nosuch: switch name not found"},
		{"set-addresses on missing port", []string{"lsp-set-addresses", "nosuch", "fa:16:3e:00:01:0d 10.0.1.13"}, "nosuch: port name not found"},
		{"router-port names nothing", []string{"lsp-set-options", "vm11", "router-port=nosuch"}, "nosuch: router-port names no logical router port"},
		// one rule of validity (internal/nbvalid): rows dvr-northd would skip
		{"router address on a VM port", []string{"lsp-set-addresses", "vm11", "router"}, `router: address "router" on a port of type ""`},
		{"router address on a new VM port", []string{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "router"}, `router: address "router" on a port of type ""`},
		{"router-type port made a VM port", []string{"lsp-set-type", "sw1-r1", ""}, `router: address "router" on a port of type ""`},
		{"MAC twice in one port", []string{"lsp-set-addresses", "vm11", "fa:16:3e:00:01:0b 10.0.1.11", "fa:16:3e:00:01:0b 10.0.1.13"}, "fa:16:3e:00:01:0b: MAC address given twice"},
		{"VM loopback IP", []string{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:01:0d 127.0.0.5"}, "127.0.0.5: loopback"},
		{"empty peer", []string{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "10.0.9.1/24", "peer="}, "peer=: empty peer"},
		{"network after peer", []string{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "10.0.9.1/24", "peer=r2-x", "10.0.8.1/24"}, "10.0.8.1/24: a NETWORK after peer=r2-x"},
		{"network on loopback", []string{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "127.0.0.1/8"}, "127.0.0.1/8: invalid network: it overlaps 127.0.0.0/8 (loopback)"},
		{"network over multicast", []string{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "208.0.0.1/2"}, "208.0.0.1/2: invalid network: it overlaps 224.0.0.0/4 (multicast)"},
		{"network on limited broadcast", []string{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "255.255.255.255/32"}, "255.255.255.255/32: invalid network: it overlaps 255.255.255.255/32 (the limited broadcast)"},
		{"network on 0.0.0.0/8", []string{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "0.0.0.1/8"}, "0.0.0.1/8: invalid network: it overlaps 0.0.0.0/8 (this network, 0.0.0.0)"},
		{"IPv6 network on loopback", []string{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "::1/128"}, "::1/128: invalid network: it overlaps ::1/128 (loopback)"},
		{"IPv6 network on ::", []string{"lrp-add", "r1", "r1-x", "fa:16:3e:00:ff:09", "::2/64"}, "::2/64: invalid network: it overlaps ::/128 (the unspecified address)"},
		{"lr-attach network on loopback", []string{"ls-add", "sw3", "--", "lr-attach", "r1", "sw3", "r1-sw3", "fa:16:3e:00:ff:03", "127.0.3.1/24"}, "127.0.3.1/24: invalid network"},
		// a VM address that is the network or broadcast address of an attached router subnet
		{"VM on the network address", []string{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:01:0d 10.0.1.0"}, "10.0.1.0: the network address of subnet 10.0.1.0/24 of router port r1-sw1"},
		{"VM on the broadcast address", []string{"lsp-set-addresses", "vm12", "fa:16:3e:00:01:0c 10.0.1.255"}, "10.0.1.255: the broadcast address of subnet 10.0.1.0/24 of router port r1-sw1"},
		{"lr-attach over a VM on the broadcast address", []string{"ls-add", "sw3", "--", "lsp-add", "sw3", "vm31", "--", "lsp-set-addresses", "vm31", "fa:16:3e:00:03:0b 10.0.3.255",
			"--", "lr-attach", "r1", "sw3", "r1-sw3", "fa:16:3e:00:ff:03", "10.0.3.1/24"}, "10.0.3.1/24: its broadcast address 10.0.3.255 is used by port vm31 on switch sw3"},
		{"lrp-add over a VM on the network address", []string{"lsp-add", "sw1", "vm13", "--", "lsp-set-addresses", "vm13", "fa:16:3e:00:01:0d 10.0.9.0",
			"--", "lrp-del", "r1-sw1", "--", "lrp-add", "r1", "r1-sw1", "fa:16:3e:00:ff:01", "10.0.9.1/24"}, "10.0.9.1/24: its network address 10.0.9.0 is used by port vm13 on switch sw1"},
		{"router-port set over a VM on the network address", []string{"lrp-add", "r1", "r1-sw3", "fa:16:3e:00:ff:03", "10.0.3.1/24", "--", "ls-add", "sw3",
			"--", "lsp-add", "sw3", "vm31", "--", "lsp-set-addresses", "vm31", "fa:16:3e:00:03:0b 10.0.3.0",
			"--", "lsp-add", "sw3", "sw3-r1", "--", "lsp-set-options", "sw3-r1", "router-port=r1-sw3", "--", "lsp-set-type", "sw3-r1", "router", "--", "lsp-set-addresses", "sw3-r1", "router"},
			"10.0.3.0: the network address of subnet 10.0.3.0/24 of router port r1-sw3 (via sw3-r1)"},
		{"router-port set before a VM on the network address", []string{"lrp-add", "r1", "r1-sw3", "fa:16:3e:00:ff:03", "10.0.3.1/24", "--", "ls-add", "sw3",
			"--", "lsp-add", "sw3", "sw3-r1", "--", "lsp-set-options", "sw3-r1", "router-port=r1-sw3", "--", "lsp-set-type", "sw3-r1", "router", "--", "lsp-set-addresses", "sw3-r1", "router",
			"--", "lsp-add", "sw3", "vm31", "--", "lsp-set-addresses", "vm31", "fa:16:3e:00:03:0b 10.0.3.255"},
			"10.0.3.255: the broadcast address of subnet 10.0.3.0/24 of router port r1-sw3 (via sw3-r1)"},
		{"IPv6 VM on the subnet-router anycast address", []string{"lr-add", "r6", "--", "ls-add", "sw6", "--", "lr-attach", "r6", "sw6", "r6-sw6", "fa:16:3e:00:ff:06", "fd00:6::1/64",
			"--", "lsp-add", "sw6", "vm61", "--", "lsp-set-addresses", "vm61", "fa:16:3e:00:06:0b fd00:6::"}, "fd00:6::: the subnet-router anycast address of subnet fd00:6::/64 of router port r6-sw6"},
		// syntax
		{"unknown command", []string{"ls-frobnicate", "x"}, "unknown command 'ls-frobnicate'"},
		{"too few arguments", []string{"lsp-add", "sw1"}, "'lsp-add' command requires at least 2 arguments"},
		{"too many arguments", []string{"ls-add", "a", "b"}, "'ls-add' command takes at most 1 arguments"},
		{"option not taken", []string{"--if-exists", "ls-add", "x"}, "'ls-add' command has no '--if-exists' option"},
		{"unknown type", []string{"lsp-set-type", "vm11", "bogus"}, "Logical switch port type 'bogus' is unrecognized"},
		{"bad option syntax", []string{"lsp-set-options", "vm11", "novalue"}, "novalue: option must be KEY=VALUE"},
		{"bad tag", []string{"lsp-add", "sw1", "c1", "vm11", "5000"}, "5000: invalid tag"},
		// third of three fails: the first two must not be written
		{"third of three", []string{"ls-add", "sw7", "--", "lsp-add", "sw7", "vm71", "--", "lsp-set-addresses", "vm71", "fa:16:3e:00:07:zz"}, "fa:16:3e:00:07:zz: invalid MAC"},
		{"third of three missing", []string{"lr-add", "r7", "--", "ls-add", "sw7", "--", "lsp-del", "nosuch"}, "nosuch: port name not found"},
		// names that cannot round-trip
		{"empty name", []string{"ls-add", ""}, "switch name must not be empty"},
		{"control character", []string{"ls-add", "a\nb"}, "switch name contains a control character"},
		{"invalid UTF-8", []string{"lr-add", "a\xffb"}, "router name is not valid UTF-8"},
		{"name looks like UUID", []string{"ls-add", "8a0f6ab1-2c61-4c17-9b9e-8d9d1c1e0f00"}, "must not be a UUID"},
	}
	before := n.dump()
	for _, mode := range []string{"one-shot", "daemon"} {
		if mode == "daemon" && n.rep == nil {
			n.daemon()
		}
		for _, c := range cases {
			t.Run(mode+"/"+c.name, func(t *testing.T) {
				_, err := n.run(c.args...)
				if err == nil {
					t.Fatalf("%q: accepted, want error containing %q", c.args, c.want)
				}
				if !strings.Contains(err.Error(), c.want) {
					t.Fatalf("%q: error %q, want it to contain %q", c.args, err, c.want)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Fatalf("error is not one line: %q", err)
				}
				if after := n.dump(); after != before {
					t.Fatalf("%q: database changed by a rejected command", c.args)
				}
			})
		}
	}
	if a := n.rep.answered.Load(); a == 0 {
		t.Fatal("daemon mode: no read was answered from the replica")
	}
}

// TestMayExistAndIfExists: the accepted forms write nothing new.
func TestMayExistAndIfExists(t *testing.T) {
	n := startNB(t)
	n.seed()
	before := n.dump()
	for _, args := range [][]string{
		{"--may-exist", "ls-add", "sw1"},
		{"--may-exist", "lr-add", "r1"},
		{"--may-exist", "lsp-add", "sw1", "vm11"},
		{"--may-exist", "lrp-add", "r1", "r1-sw1", "fa:16:3e:00:ff:01", "10.0.1.1/24"},
		{"--may-exist", "lr-attach", "r1", "sw1", "r1-sw1", "fa:16:3e:00:ff:01", "10.0.1.1/24"},
		{"--if-exists", "ls-del", "nosuch"},
		{"--if-exists", "lsp-del", "nosuch"},
		{"--if-exists", "lrp-del", "nosuch"},
		{"--if-exists", "lr-del", "nosuch"},
		{"--if-exists", "lr-detach", "nosuch"},
		{"ls-list", "--", "lr-list", "--", "show"},
	} {
		if _, err := n.run(args...); err != nil {
			t.Fatalf("%q: %v", args, err)
		}
	}
	if n.dump() != before {
		t.Fatal("accepted no-op commands changed the database")
	}
}

// TestNamesRoundTrip: unicode and shell-hostile names come back exactly.
func TestNamesRoundTrip(t *testing.T) {
	n := startNB(t)
	names := []string{"süß-网络", "with space", `q"uo'te`, "$(reboot);`x`", "a\\b", "🙂", "semi;colon|pipe&amp"}
	for i, name := range names {
		port := name + "-p"
		n.must("ls-add", name, "--", "lsp-add", name, port, "--", "lsp-set-addresses", port,
			"fa:16:3e:00:00:"+string("0123456789"[i])+"1 10.9.9."+string("0123456789"[i]))
		if out := n.must("lsp-list", name); !strings.Contains(out, "("+port+")") {
			t.Fatalf("lsp-list %q = %q", name, out)
		}
		if out := n.must("lsp-get-addresses", port); !strings.HasPrefix(out, "fa:16:3e") {
			t.Fatalf("lsp-get-addresses %q = %q", port, out)
		}
	}
	out := n.must("ls-list")
	for _, name := range names {
		if !strings.Contains(out, "("+name+")\n") {
			t.Fatalf("ls-list lacks %q:\n%s", name, out)
		}
	}
	for _, name := range names {
		n.must("ls-del", name)
	}
	if out := n.must("ls-list"); out != "" {
		t.Fatalf("switches left: %q", out)
	}
}
