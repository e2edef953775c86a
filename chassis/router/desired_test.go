package router

import (
	"net/netip"
	"reflect"
	"testing"
)

func TestDesired(t *testing.T) {
	in := Input{UnderlayMTU: 1500, Routers: []Router{{
		UUID: "r1",
		Interfaces: []Interface{
			{LRP: "bbbbbbbb-2222-0000-0000-000000000000", MAC: "FA:16:3E:00:02:01", Addrs: []string{"10.2.0.1/24", "fd00::1/64"}, VLAN: 2},
			{LRP: "aaaaaaaa-1111-0000-0000-000000000000", MAC: "fa:16:3e:00:01:01", Addrs: []string{"10.1.0.1/24", "10.1.1.1/24"}, VLAN: 1},
		},
		Ports: []VMPort{
			{Name: "vm2", MAC: "fa:16:3e:00:00:02", IPs: []string{"10.2.0.12", "fd00::12"}},
			{Name: "vm1", MAC: "fa:16:3e:00:00:01", IPs: []string{"10.1.1.11", "10.1.0.11"}},
			{Name: "far", MAC: "fa:16:3e:00:00:09", IPs: []string{"10.9.0.9"}},
		},
	}}}
	st, skipped := Desired(in)
	want := State{Namespaces: []Namespace{{
		Name: "qrouter-r1", Router: "r1", Sysctls: Sysctls(),
		Devices: []Device{
			{Name: "qr-aaaaaaaa-11", Outer: "qo-aaaaaaaa-11", LRP: "aaaaaaaa-1111-0000-0000-000000000000",
				MAC: "fa:16:3e:00:01:01", MTU: 1450, VLAN: 1,
				Addrs: []netip.Prefix{netip.MustParsePrefix("10.1.0.1/24"), netip.MustParsePrefix("10.1.1.1/24")},
				Neighbours: []Neighbour{
					{netip.MustParseAddr("10.1.0.11"), "fa:16:3e:00:00:01"},
					{netip.MustParseAddr("10.1.1.11"), "fa:16:3e:00:00:01"},
				}},
			{Name: "qr-bbbbbbbb-22", Outer: "qo-bbbbbbbb-22", LRP: "bbbbbbbb-2222-0000-0000-000000000000",
				MAC: "fa:16:3e:00:02:01", MTU: 1450, VLAN: 2,
				Addrs:      []netip.Prefix{netip.MustParsePrefix("10.2.0.1/24")},
				Neighbours: []Neighbour{{netip.MustParseAddr("10.2.0.12"), "fa:16:3e:00:00:02"}}},
		},
	}}}
	if !reflect.DeepEqual(st, want) {
		t.Fatalf("Desired:\n got %+v\nwant %+v", st, want)
	}
	wantSkipped := []Skipped{
		{"r1", "bbbbbbbb-2222-0000-0000-000000000000", "fd00::1/64", "IPv6 not supported"},
		{"r1", "vm2", "fd00::12", "IPv6 not supported"},
		{"r1", "far", "10.9.0.9", "on no attached subnet"},
	}
	if !reflect.DeepEqual(skipped, wantSkipped) {
		t.Fatalf("skipped:\n got %+v\nwant %+v", skipped, wantSkipped)
	}
	// Deterministic: the same input gives the same output.
	st2, _ := Desired(in)
	if !reflect.DeepEqual(st, st2) {
		t.Fatal("Desired is not deterministic")
	}
}

func TestSysctlsIPv6First(t *testing.T) {
	s := Sysctls()
	if s[0].Key != "net/ipv6/conf/all/disable_ipv6" || s[1].Key != "net/ipv6/conf/default/disable_ipv6" {
		t.Fatalf("IPv6 must go off first: %v", s)
	}
}

func TestDesiredNoUnderlayMTU(t *testing.T) {
	st, skipped := Desired(Input{Routers: []Router{{UUID: "r1", Interfaces: []Interface{{LRP: "l1", MAC: "fa:16:3e:00:00:01", Addrs: []string{"10.0.0.1/24"}}}}}})
	if len(st.Namespaces) != 1 || len(st.Namespaces[0].Devices) != 0 || len(skipped) != 1 || skipped[0].Reason != "underlay MTU too small" {
		t.Fatalf("got %+v, skipped %+v", st, skipped)
	}
}
