package nbvalid

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestVMPort(t *testing.T) {
	good := [][]string{
		nil,
		{"unknown"},
		{"fa:16:3e:00:01:0b 10.0.1.11"},
		{"fa:16:3e:00:01:0b 10.0.1.11 fd00::11", "fa:16:3e:00:01:0c 10.0.1.12", "unknown"},
		{"FA:16:3E:00:01:0B"},
	}
	for _, a := range good {
		if _, err := VMPort(a); err != nil {
			t.Errorf("VMPort(%q): %v", a, err)
		}
	}
	bad := []struct {
		addrs []string
		want  string
	}{
		{[]string{"router"}, `router: address "router" on a port of type ""`},
		{[]string{"fa:16:3e:00:01:0b 10.0.1.11", "router"}, `router: address "router"`},
		{[]string{"dynamic"}, "dynamic addresses are not supported"},
		{[]string{"fa:16:3e:00:01:0b 10.0.1.300"}, "10.0.1.300: invalid IP"},
		{[]string{"fa:16:3e:00:01:0b 10.0.1.11", "fa:16:3e:00:01:0b 10.0.1.12"}, "fa:16:3e:00:01:0b: MAC address given twice"},
		{[]string{"fa:16:3e:00:01:0b 10.0.1.11", "fa:16:3e:00:01:0c 10.0.1.11"}, "10.0.1.11: IP address given twice"},
		{[]string{"fa:16:3e:00:01:0b 127.0.0.5"}, "127.0.0.5: loopback"},
		{[]string{"fa:16:3e:00:01:0b ::1"}, "::1: loopback"},
		{[]string{"fa:16:3e:00:01:0b 0.1.2.3"}, "0.1.2.3: a \"this network\""},
	}
	for _, c := range bad {
		_, err := VMPort(c.addrs)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("VMPort(%q) = %v, want %q", c.addrs, err, c.want)
		}
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Column != "addresses" {
			t.Errorf("VMPort(%q): not a FieldError on addresses: %#v", c.addrs, err)
		}
	}
}

func TestRouterPort(t *testing.T) {
	peer := func(s string) *string { return &s }
	good := []struct {
		mac  string
		nets []string
		peer *string
	}{
		{"fa:16:3e:00:ff:01", []string{"10.0.1.1/24"}, nil},
		{"fa:16:3e:00:ff:01", []string{"10.0.1.1/24", "fd00:1::1/64"}, peer("r2-r1")},
		{"fa:16:3e:00:ff:01", []string{"169.254.0.1/31", "192.168.0.1/32", "fe80::1/64"}, nil},
		{"fa:16:3e:00:ff:01", []string{"223.255.255.1/24", "1.0.0.1/8", "126.255.255.254/8", "128.0.0.1/8"}, nil},
	}
	for _, c := range good {
		if _, err := RouterPort(c.mac, c.nets, c.peer); err != nil {
			t.Errorf("RouterPort(%s, %q): %v", c.mac, c.nets, err)
		}
	}
	bad := []struct {
		mac  string
		nets []string
		peer *string
		col  string
		want string
	}{
		{"zz:16:3e:00:ff:01", []string{"10.0.1.1/24"}, nil, "mac", "zz:16:3e:00:ff:01: invalid MAC"},
		{"fa:16:3e:00:ff:01", nil, nil, "networks", "at least one NETWORK"},
		{"fa:16:3e:00:ff:01", []string{"10.0.1.1"}, nil, "networks", "prefix length is required"},
		{"fa:16:3e:00:ff:01", []string{"10.0.1.0/24"}, nil, "networks", "network address"},
		{"fa:16:3e:00:ff:01", []string{"10.0.1.1/24", "10.0.1.129/25"}, nil, "networks", "10.0.1.129/25: network overlaps 10.0.1.1/24"},
		{"fa:16:3e:00:ff:01", []string{"10.0.1.1/24"}, peer(""), "peer", "peer=: empty peer"},
		{"fa:16:3e:00:ff:01", []string{"127.0.0.1/8"}, nil, "networks", "127.0.0.1/8: invalid network: it overlaps 127.0.0.0/8 (loopback)"},
		{"fa:16:3e:00:ff:01", []string{"10.0.0.1/4"}, nil, "networks", "it overlaps 0.0.0.0/8"},
		{"fa:16:3e:00:ff:01", []string{"0.0.0.1/8"}, nil, "networks", "it overlaps 0.0.0.0/8"},
		{"fa:16:3e:00:ff:01", []string{"208.0.0.1/2"}, nil, "networks", "it overlaps 224.0.0.0/4 (multicast)"},
		{"fa:16:3e:00:ff:01", []string{"239.0.0.1/24"}, nil, "networks", "not a unicast address"},
		{"fa:16:3e:00:ff:01", []string{"255.255.255.255/32"}, nil, "networks", "it overlaps 255.255.255.255/32 (the limited broadcast)"},
		{"fa:16:3e:00:ff:01", []string{"::1/128"}, nil, "networks", "it overlaps ::1/128 (loopback)"},
		{"fa:16:3e:00:ff:01", []string{"::2/64"}, nil, "networks", "it overlaps ::/128"},
		{"fa:16:3e:00:ff:01", []string{"ff02::1/64"}, nil, "networks", "not a unicast address"},
	}
	for _, c := range bad {
		_, err := RouterPort(c.mac, c.nets, c.peer)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("RouterPort(%s, %q) = %v, want %q", c.mac, c.nets, err, c.want)
			continue
		}
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Column != c.col {
			t.Errorf("RouterPort(%s, %q): want a FieldError on %s, got %#v", c.mac, c.nets, c.col, err)
		}
	}
}

func TestReservedAddrs(t *testing.T) {
	cases := map[string]string{
		"10.0.1.1/24":     "10.0.1.0 network, 10.0.1.255 broadcast",
		"10.0.1.1/30":     "10.0.1.0 network, 10.0.1.3 broadcast",
		"10.0.1.1/31":     "",
		"10.0.1.1/32":     "",
		"fd00:1::1/64":    "fd00:1:: subnet-router anycast",
		"fd00:1::1/126":   "fd00:1:: subnet-router anycast",
		"fd00:1::1/127":   "",
		"fd00:1::1/128":   "",
		"172.16.5.9/12":   "172.16.0.0 network, 172.31.255.255 broadcast",
		"192.168.7.77/20": "192.168.0.0 network, 192.168.15.255 broadcast",
	}
	for p, want := range cases {
		var got []string
		for _, r := range ReservedAddrs(netip.MustParsePrefix(p)) {
			got = append(got, r.Addr.String()+" "+r.What)
		}
		if g := strings.Join(got, ", "); g != want {
			t.Errorf("ReservedAddrs(%s) = %q, want %q", p, g, want)
		}
	}
}

// TestSubnetRuleBothWays: VMOnSubnets and NetworksOverVMs are one rule
// seen from either side.
func TestSubnetRuleBothWays(t *testing.T) {
	nets := []netip.Prefix{netip.MustParsePrefix("10.0.1.1/24"), netip.MustParsePrefix("fd00:1::1/64")}
	subnets := []Subnet{{nets[0], "router port r1-sw1"}, {nets[1], "router port r1-sw1"}}
	for ip, want := range map[string]string{
		"10.0.1.0":   "10.0.1.0: the network address of subnet 10.0.1.0/24 of router port r1-sw1",
		"10.0.1.255": "10.0.1.255: the broadcast address of subnet 10.0.1.0/24 of router port r1-sw1",
		"fd00:1::":   "fd00:1::: the subnet-router anycast address of subnet fd00:1::/64 of router port r1-sw1",
		"10.0.1.11":  "",
		"10.0.2.0":   "", // not on this switch's subnets: not this rule's business
		"fd00:1::ff": "",
	} {
		a := netip.MustParseAddr(ip)
		err := VMOnSubnets([]netip.Addr{a}, subnets)
		if (err == nil) != (want == "") || err != nil && !strings.Contains(err.Error(), want) {
			t.Errorf("VMOnSubnets(%s) = %v, want %q", ip, err, want)
		}
		err2 := NetworksOverVMs(nets, "sw1", func(x netip.Addr) (string, bool) { return "port vm", x == a })
		if (err2 == nil) != (err == nil) {
			t.Errorf("%s: VMOnSubnets says %v, NetworksOverVMs says %v", ip, err, err2)
		}
	}
	err := NetworksOverVMs(nets[:1], "sw1", func(x netip.Addr) (string, bool) { return "port vm13", x == netip.MustParseAddr("10.0.1.255") })
	if want := "10.0.1.1/24: its broadcast address 10.0.1.255 is used by port vm13 on switch sw1"; err == nil || err.Error() != want {
		t.Errorf("NetworksOverVMs = %v, want %q", err, want)
	}
}
