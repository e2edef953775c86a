package trace

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/dvr-ovn/dvr/chassis/flows"
	"github.com/dvr-ovn/dvr/chassis/router"
)

// exits maps datapath actions back to ports and names.
type exits struct {
	o    Options
	hits []Hit
	out  []Exit
}

// walk follows one list of datapath actions. After a tnl_push, the
// outputs of the same list carry the encapsulated packet onto the
// underlay: they are not exits of their own.
func (x *exits) walk(as []DPAction, ethSrc string) {
	var tunnel *DPAction
	pushed := false
	for i := range as {
		a := &as[i]
		switch a.Kind {
		case DPSetEth:
			if a.EthSrc != "" {
				ethSrc = a.EthSrc
			}
		case DPClone:
			x.walk(a.Clone, ethSrc)
		case DPTunnel:
			if strings.HasPrefix(a.Text, "tnl_push(") {
				x.tunnel(a, ethSrc)
				pushed = true
			} else {
				tunnel = a // the kernel's set(tunnel(...)), then the vxlan port
			}
		case DPOutput:
			switch {
			case pushed:
			case tunnel != nil && x.o.Ports.IsTunnelDP(a.Port):
				x.tunnel(tunnel, ethSrc)
			default:
				x.port(a.Port, ethSrc)
			}
		}
	}
}

func (x *exits) tunnel(a *DPAction, ethSrc string) {
	e := Exit{Kind: ExitTunnel, Port: "a tunnel"}
	if p, ok := x.o.Ports.ByRemoteIP(a.TunnelDst); ok {
		e.Port = p.Name
	}
	var b strings.Builder
	fmt.Fprintf(&b, "left via %s to %s with VNI %#x", e.Port, x.chassisAt(a.TunnelDst), a.VNI)
	if x.o.Resolver != nil {
		if d, ok := x.o.Resolver.Datapath(a.VNI); ok {
			fmt.Fprintf(&b, " (network %s)", d.Name)
		} else {
			b.WriteString(" (no Datapath_Binding has that key)")
		}
	}
	if ethSrc != "" {
		fmt.Fprintf(&b, ", src %s", x.mac(ethSrc))
	}
	e.Text = b.String()
	x.out = append(x.out, e)
}

func (x *exits) chassisAt(ip netip.Addr) string {
	if x.o.Resolver != nil {
		if ch, ok := x.o.Resolver.ChassisByIP(ip); ok {
			return fmt.Sprintf("chassis %s (%s)", ch, ip)
		}
	}
	return ip.String()
}

// mac names a MAC the packet leaves with: a DVR MAC or a router
// interface's.
func (x *exits) mac(m string) string {
	if x.o.Resolver == nil {
		return m
	}
	if o, ok := flows.MACObject(m); ok {
		if d, ok := x.o.Resolver.DVRMAC(o); ok && strings.EqualFold(d.MAC, m) {
			return fmt.Sprintf("%s (the DVR MAC of chassis %s)", m, d.Chassis)
		}
	}
	if b, ok := x.o.Resolver.RouterPortByMAC(m); ok {
		return fmt.Sprintf("%s (router interface %s of %s)", m, b.LogicalPort, b.Router)
	}
	return m
}

func (x *exits) port(dp int, ethSrc string) {
	p, ok := x.o.Ports.ByDP(dp)
	if !ok {
		x.out = append(x.out, Exit{Kind: ExitPort, Port: strconv.Itoa(dp), Text: fmt.Sprintf("left via datapath port %d", dp)})
		return
	}
	e := Exit{Kind: ExitPort, Port: p.Name, Text: fmt.Sprintf("left via %s (%s)", p.Name, p.Bridge)}
	if p.Name == p.Bridge {
		e.Text = fmt.Sprintf("left via %s's own (LOCAL) port", p.Bridge)
	}
	if b, ok := x.binding(p); ok {
		if b.Type == "" && b.Router == "" {
			e.Kind, e.Text = ExitVM, fmt.Sprintf("delivered to %s: VM port %s on %s", p.Name, b.LogicalPort, b.Datapath.Name)
		} else {
			e.Kind, e.Text = ExitRouter, fmt.Sprintf("delivered to %s: router interface %s of %s on %s", p.Name, b.LogicalPort, b.Router, b.Datapath.Name)
		}
	} else if strings.HasPrefix(p.Name, router.DevPrefix) || strings.HasPrefix(p.Name, router.OuterPrefix) {
		e.Kind, e.Text = ExitRouter, fmt.Sprintf("delivered to %s: a router interface", p.Name)
	}
	if ethSrc != "" {
		e.Text += ", src " + x.mac(ethSrc)
	}
	x.out = append(x.out, e)
}

// binding is the Port_Binding behind a local port: by the interface's
// iface-id, else a qr-/qo- device name, else the cookie of the flow that
// output to it, else its name as a logical port.
func (x *exits) binding(p Port) (Binding, bool) {
	r := x.o.Resolver
	if r == nil {
		return Binding{}, false
	}
	if p.IfaceID != "" {
		if b, ok := r.PortByName(p.IfaceID); ok {
			return b, true
		}
	}
	if b, ok := r.RouterPortByDevice(p.Name); ok {
		return b, true
	}
	out := fmt.Sprintf("output:%d", p.OfPort)
	for _, h := range x.hits {
		if h.Bridge != p.Bridge || !h.Cookie.Ours() {
			continue
		}
		switch h.Cookie.Category() {
		case flows.CatLocalPort, flows.CatRouterPort:
		default:
			continue
		}
		for _, a := range h.Actions {
			if a.Text == out {
				if b, ok := r.Port(flows.PortKeys(h.Cookie.Object())); ok {
					return b, true
				}
			}
		}
	}
	return r.PortByName(p.Name)
}
