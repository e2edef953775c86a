package nbvalid

import (
	"fmt"
	"net/netip"
	"slices"

	"github.com/dvr-ovn/dvr/internal/addr"
)

// VM is a valid VM port's addresses.
type VM struct {
	Addresses []addr.PortAddress // in the row's order
	MACs      []string           // one per "MAC IP..." element, lower-cased
	IPs       []netip.Addr       // every IP of every element
}

// VMPort checks the addresses of a port of type "" (a VM port): each
// element is "MAC [IP...]" or "unknown"; "router" belongs to router-type
// ports only (dvr-northd has no router port to take it from); a MAC or an
// IP appears once in the port; no IP is a loopback or "this network"
// address (addr.ParseIP already refuses unspecified, multicast and the
// limited broadcast).
func VMPort(addresses []string) (VM, error) {
	// A port holds a handful of addresses: slices, not maps, sized once
	// (this runs for every VM port of every full round).
	vm := VM{Addresses: make([]addr.PortAddress, 0, len(addresses)), MACs: make([]string, 0, len(addresses))}
	for _, a := range addresses {
		pa, err := addr.ParsePortAddress(a)
		if err != nil {
			return VM{}, fieldErr("addresses", a, err)
		}
		switch pa.Keyword {
		case "router":
			return VM{}, fieldErr("addresses", a, fmt.Errorf(`router: address "router" on a port of type "" (only router-type ports take it)`))
		case "unknown":
			vm.Addresses = append(vm.Addresses, pa)
			continue
		}
		if slices.Contains(vm.MACs, pa.MAC) {
			return VM{}, fieldErr("addresses", a, fmt.Errorf("%s: MAC address given twice", pa.MAC))
		}
		for i, ip := range pa.IPs {
			if slices.Contains(vm.IPs, ip) || slices.Contains(pa.IPs[:i], ip) {
				return VM{}, fieldErr("addresses", a, fmt.Errorf("%s: IP address given twice", ip))
			}
			if r, ok := specialHost(ip); ok {
				return VM{}, fieldErr("addresses", a, fmt.Errorf("%s: %s address, not a VM's", ip, r))
			}
		}
		vm.Addresses = append(vm.Addresses, pa)
		vm.MACs = append(vm.MACs, pa.MAC)
		if vm.IPs == nil {
			vm.IPs = pa.IPs // the usual one address: no copy
		} else {
			vm.IPs = append(vm.IPs, pa.IPs...)
		}
	}
	return vm, nil
}

// specialHost reports an IP that is no host's address on a network:
// loopback and IPv4 "this network" (0.0.0.0/8).
func specialHost(ip netip.Addr) (string, bool) {
	switch {
	case ip.IsLoopback():
		return "loopback", true
	case ip.Is4() && thisNetwork.Contains(ip):
		return `a "this network" (0.0.0.0/8)`, true
	}
	return "", false
}
