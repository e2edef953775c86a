package chassis

import (
	"github.com/dvr-ovn/dvr/internal/sbdb"
)

// Port claims (schema/README.md, DVR_Port_Claim): a chassis claims a VM
// port by inserting a DVR_Port_Claim row with its own name, which
// ovsdb-server's RBAC lets it write only for itself, and dvr-northd
// copies the claims into Port_Binding.chassis and up. So that a chassis
// never waits for northd before it serves a port it claimed, the view's
// Port_Bindings carry the binding as the claims say, not as northd last
// wrote it: the view's Port_Binding.chassis and up are effective values.
//
//   - a port with a claim is bound to the claiming chassis (its Chassis
//     row), up as the claim says; a claim whose chassis has no Chassis
//     row binds the port to nobody, and the port cannot be claimed until
//     dvr-northd removes that claim (StaleClaim);
//   - a port without a claim is bound as northd wrote it, except to this
//     chassis: this chassis' own claims are always monitored, so no own
//     claim means not bound here (northd has not caught up yet). In
//     conditional mode the claims of other chassis are monitored only on
//     the local iface-ids' ports: remote ports are bound as northd wrote.

// binding is a Port_Binding's chassis and up as northd wrote them.
type binding struct {
	chassis *string
	up      *bool
}

// ClaimOf is the claim on logical port lp, if the view has one.
func (v *SBView) ClaimOf(lp string) (sbdb.DVRPortClaim, bool) {
	u, ok := v.claimByPort[lp]
	if !ok {
		return sbdb.DVRPortClaim{}, false
	}
	c, ok := v.Claims[u]
	return c, ok
}

// StaleClaim is the name of the chassis whose claim holds lp although it
// has no Chassis row ("" when there is no such claim).
func (v *SBView) StaleClaim(lp string) string {
	c, ok := v.ClaimOf(lp)
	if !ok {
		return ""
	}
	if _, live := v.chassisByName()[c.ChassisName]; live {
		return ""
	}
	return c.ChassisName
}

// chassisByName maps chassis names to Chassis row UUIDs (built once per
// change of the Chassis table).
func (v *SBView) chassisByName() map[string]string {
	if v.chassisRows == nil {
		v.chassisRows = make(map[string]string, len(v.Chassis))
		for _, c := range v.Chassis {
			v.chassisRows[c.Name] = c.UUID
		}
	}
	return v.chassisRows
}

// effective sets pb's chassis and up from its claim (raw holds what
// northd wrote).
func (v *SBView) effective(pb *sbdb.PortBinding, raw binding) {
	pb.Chassis, pb.Up = raw.chassis, raw.up
	if pb.Type != "" {
		return
	}
	if c, ok := v.ClaimOf(pb.LogicalPort); ok {
		pb.Chassis, pb.Up = nil, nil
		if u, live := v.chassisByName()[c.ChassisName]; live {
			up := c.Up
			pb.Chassis, pb.Up = &u, &up
		}
		return
	}
	if pb.Chassis != nil && v.self != "" && v.Chassis[*pb.Chassis].Name == v.self {
		pb.Chassis, pb.Up = nil, nil
	}
}

func rawBinding(pb *sbdb.PortBinding) binding { return binding{chassis: pb.Chassis, up: pb.Up} }

// overlayAll recomputes every port's effective binding (a listed view, or
// a Chassis row changed), noting the ports that changed in p.
func (v *SBView) overlayAll(p *pending) {
	v.chassisRows, v.chassisChanged = nil, false
	if v.raw == nil {
		v.raw = make(map[string]binding, len(v.Ports))
		for u, pb := range v.Ports {
			if pb.Chassis != nil || pb.Up != nil {
				v.raw[u] = rawBinding(&pb)
			}
		}
	}
	for u, pb := range v.Ports {
		v.reoverlay(u, pb, p)
	}
}

// reoverlay recomputes port u's effective binding from its raw one.
func (v *SBView) reoverlay(u string, pb sbdb.PortBinding, p *pending) {
	old := pb
	v.effective(&pb, v.raw[u])
	if samePtr(old.Chassis, pb.Chassis) && samePtr(old.Up, pb.Up) {
		return
	}
	v.unindexPort(u, &old)
	v.Ports[u] = pb
	v.indexPort(u, &pb)
	if p != nil {
		p.port(u, &old, &pb)
	}
}

// applyClaim applies one DVR_Port_Claim change.
func (v *SBView) applyClaim(r rowChange, p *pending) {
	o, n := as[sbdb.DVRPortClaim](r.old), as[sbdb.DVRPortClaim](r.cur)
	if v.Claims == nil {
		v.indexClaims(nil)
	}
	var lps []string
	if o != nil {
		if old, ok := v.Claims[o.UUID]; ok {
			o = &old
		}
		delete(v.Claims, o.UUID)
		if v.claimByPort[o.LogicalPort] == o.UUID {
			delete(v.claimByPort, o.LogicalPort)
		}
		if v.ownClaims[o.LogicalPort] == o.UUID {
			delete(v.ownClaims, o.LogicalPort)
		}
		lps = append(lps, o.LogicalPort)
	}
	if n != nil {
		v.Claims[n.UUID] = *n
		v.claimByPort[n.LogicalPort] = n.UUID
		if v.self != "" && n.ChassisName == v.self {
			v.ownClaims[n.LogicalPort] = n.UUID
		}
		lps = append(lps, n.LogicalPort)
	}
	for _, lp := range lps {
		if u, ok := v.portByName[lp]; ok {
			v.reoverlay(u, v.Ports[u], p)
		}
	}
}

// indexClaims builds the claim index of a listed view.
func (v *SBView) indexClaims(claims map[string]sbdb.DVRPortClaim) {
	if claims == nil {
		claims = map[string]sbdb.DVRPortClaim{}
	}
	v.Claims = claims
	v.claimByPort = make(map[string]string, len(claims))
	v.ownClaims = map[string]string{}
	for _, c := range claims {
		v.claimByPort[c.LogicalPort] = c.UUID
		if v.self != "" && c.ChassisName == v.self {
			v.ownClaims[c.LogicalPort] = c.UUID
		}
	}
}

// OwnClaim is this chassis' claim on lp, if it has one.
func (v *SBView) OwnClaim(lp string) (sbdb.DVRPortClaim, bool) {
	c, ok := v.ClaimOf(lp)
	return c, ok && v.self != "" && c.ChassisName == v.self
}

// OwnClaimed are the logical ports this chassis has claims on, sorted.
func (v *SBView) OwnClaimed() []string { return sortedKeys(v.ownClaims) }

func samePtr[T comparable](a, b *T) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// port records a port's change in the pending set.
func (p *pending) port(u string, old, cur *sbdb.PortBinding) {
	if p.ports == nil {
		p.ports = map[string]portChange{}
	}
	pc, seen := p.ports[u]
	if !seen {
		pc.old = old
	}
	pc.cur = cur
	p.ports[u] = pc
}
