package northd

import (
	"fmt"
	"maps"
	"slices"

	"github.com/ovn-org/libovsdb/model"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/northd/translate"
)

// This file is the one place that says what a port-level change is: what
// an incremental round applies (VM ports added, removed, re-addressed,
// moved between switches, claimed or released, and the Port_Binding keys
// SB holds), and for anything else why the round recomputes fully. It
// decides in three steps, each with the reason it refuses:
//
//  1. as events arrive, classifyNB and classifySB sort them (changes
//     stores them by class);
//  2. at the start of an incremental round, portLevel checks them
//     against what the State was built from;
//  3. translate's State.ApplyPorts refuses, with its reason, what only
//     the whole switch decides (an address conflict, a MAC equal to a DVR
//     MAC, an exhausted allocation).
//
// Any refusal means a full round, which is the oracle (DESIGN §6.2): the
// tests that compare both paths are oracle_test.go and translate's
// incremental_test.go.

// eventKind is what one monitor event is to the incremental path.
type eventKind int

const (
	// evNone: nothing the translation reads (northd's own sequence
	// number coming back, a chassis' nb_cfg).
	evNone eventKind = iota
	// evSwitchPort: a switch port's row changed (portLevel.switchPort
	// refuses non-VM ports).
	evSwitchPort
	// evUp: only a switch port's up changed (the translation does not
	// read it): northd's own write coming back, or drift.
	evUp
	// evSwitch: a switch's row changed: ports joined or left it.
	evSwitch
	// evBinding: a Port_Binding changed: a key SB holds.
	evBinding
	// evClaim: a DVR_Port_Claim changed: a port claimed, released, or
	// reported up.
	evClaim
	// evOwned: a row of a table northd owns (Datapath_Binding,
	// DVR_MAC_Binding, DVR_Router_Binding), checked for drift.
	evOwned
	// evOther: a row a port-level round does not handle (routers, router
	// ports, chassis, encaps, NB_Global options): portLevel.other checks
	// it against the State, since a fresh monitor re-adds rows the State
	// already has.
	evOther
)

// eventClass is how one event is classified.
type eventClass struct {
	kind eventKind
	// barrier: the nb_cfg barrier may have moved (NB_Global.nb_cfg, a
	// chassis' nb_cfg, or another writer's SB_Global.nb_cfg, which is
	// drift the next commit repairs), so a round must run.
	barrier bool
}

// classifyNB classifies an NB monitor event. old or cur is nil for an
// insert or a delete.
func classifyNB(table string, old, cur model.Model) eventClass {
	switch table {
	case nbdb.NBGlobalTable:
		o, n := asNB[nbdb.NBGlobal](old), asNB[nbdb.NBGlobal](cur)
		if o == nil || n == nil || !maps.Equal(o.Options, n.Options) {
			return eventClass{kind: evOther, barrier: true}
		}
		return eventClass{barrier: true}
	case nbdb.LogicalSwitchPortTable:
		o, n := asNB[nbdb.LogicalSwitchPort](old), asNB[nbdb.LogicalSwitchPort](cur)
		if o != nil && n != nil && sameInput(o, n) {
			return eventClass{kind: evUp}
		}
		return eventClass{kind: evSwitchPort}
	case nbdb.LogicalSwitchTable:
		return eventClass{kind: evSwitch}
	default:
		return eventClass{kind: evOther}
	}
}

// classifySB classifies an SB monitor event.
func classifySB(table string, old, cur model.Model) eventClass {
	switch table {
	case sbdb.ChassisTable:
		o, n := asNB[sbdb.Chassis](old), asNB[sbdb.Chassis](cur)
		if o == nil || n == nil || o.Name != n.Name || !slices.Equal(o.Encaps, n.Encaps) {
			return eventClass{kind: evOther, barrier: true}
		}
		return eventClass{barrier: true}
	case sbdb.ChassisPrivateTable:
		return eventClass{barrier: true}
	case sbdb.EncapTable:
		// Whether a chassis can take part in DVR depends on it.
		return eventClass{kind: evOther}
	case sbdb.PortBindingTable:
		return eventClass{kind: evBinding}
	case sbdb.DVRPortClaimTable:
		return eventClass{kind: evClaim}
	case sbdb.RBACRoleTable, sbdb.RBACPermissionTable:
		// northd's own (the chassis role): a full round repairs them.
		return eventClass{kind: evOther}
	case sbdb.DatapathBindingTable, sbdb.DVRMACBindingTable, sbdb.DVRRouterBindingTable:
		return eventClass{kind: evOwned}
	case sbdb.SBGlobalTable:
		// Our own writes bump the sequence number; another writer's
		// nb_cfg is drift the next commit repairs (it compares nb_cfg).
		o, n := asNB[sbdb.SBGlobal](old), asNB[sbdb.SBGlobal](cur)
		return eventClass{barrier: o == nil || n == nil || o.NbCfg != n.NbCfg}
	default:
		return eventClass{}
	}
}

// sameInput reports whether two versions of a switch port are the same
// to the translation (which does not read up, the column northd writes).
func sameInput(a, b *nbdb.LogicalSwitchPort) bool {
	return a.Name == b.Name && a.Type == b.Type && slices.Equal(a.Addresses, b.Addresses) && maps.Equal(a.Options, b.Options)
}

// portLevel checks one incremental round's changes against what the
// State was built from. Each check returns "" for a port-level change,
// else why the round must recompute fully.
type portLevel struct {
	in translate.Input
	ix *indexes
	// baseMACFlag: the DVR base MAC comes from --dvr-base-mac, so
	// NB_Global's option does not matter.
	baseMACFlag bool
}

// other says why an evOther event changes what the State was built from
// ("" when it does not: e.g. a fresh monitor re-adding a known row).
func (pl portLevel) other(ev otherEvent) string {
	in := pl.in
	switch ev.table {
	case nbdb.NBGlobalTable:
		g := asNB[nbdb.NBGlobal](ev.cur)
		if g == nil {
			return "NB_Global was deleted"
		}
		if !pl.baseMACFlag && g.Options[OptBaseMAC] != in.BaseMAC {
			return "the DVR base MAC changed"
		}
	case nbdb.LogicalRouterTable:
		o, c := asNB[nbdb.LogicalRouter](ev.old), asNB[nbdb.LogicalRouter](ev.cur)
		if c == nil {
			if _, known := in.Routers[o.UUID]; known {
				return "a router was deleted"
			}
			return ""
		}
		k := in.Routers[c.UUID]
		if k == nil || k.Name != c.Name || !sameSet(k.Ports, c.Ports) || k.Options["distributed"] != c.Options["distributed"] {
			return "a router changed"
		}
	case nbdb.LogicalRouterPortTable:
		o, c := asNB[nbdb.LogicalRouterPort](ev.old), asNB[nbdb.LogicalRouterPort](ev.cur)
		if c == nil {
			if _, known := in.RouterPorts[o.UUID]; known {
				return "a router port was deleted"
			}
			return ""
		}
		k := in.RouterPorts[c.UUID]
		if k == nil || k.Name != c.Name || k.MAC != c.MAC || !slices.Equal(k.Networks, c.Networks) || !samePeer(k.Peer, c.Peer) {
			return "a router port changed"
		}
	case sbdb.ChassisTable:
		o, c := asNB[sbdb.Chassis](ev.old), asNB[sbdb.Chassis](ev.cur)
		if c == nil && !knownChassis(in, o.Name) {
			return "" // an unknown chassis came and went
		}
		return "a chassis was added, removed, renamed or changed its encaps"
	default:
		return ev.table + " changed"
	}
	return ""
}

// switchRow checks an evSwitch change of switch ls: only its ports may
// change. skip is true when there is nothing to do (added and removed
// since the last round).
func (pl portLevel) switchRow(ls string, rc rowChange[nbdb.LogicalSwitch]) (skip bool, why string) {
	known := pl.in.Switches[ls]
	switch {
	case rc.cur == nil && known == nil:
		return true, ""
	case rc.cur == nil || known == nil || known.Name != rc.cur.Name:
		return false, "a switch was added, removed or renamed"
	}
	return false, ""
}

// member checks a port joining or leaving a switch, with the number of
// switches that list it before and after: a port another switch lists
// too is a bad row whose fate depends on every parent.
func (pl portLevel) member(before, after int) string {
	if before > 1 || after > 1 {
		return "a port listed by more than one switch joined or left one"
	}
	return ""
}

// joiner checks the port that joined or left a switch: only VM ports
// come and go port by port.
func (pl portLevel) joiner(p *translate.SwitchPort) string {
	if p.Type != "" {
		return fmt.Sprintf("a %q port joined or left a switch", p.Type)
	}
	return ""
}

// switchPort checks an evSwitchPort change: only VM ports' rows.
func (pl portLevel) switchPort(rc rowChange[nbdb.LogicalSwitchPort]) string {
	if rc.old != nil && rc.old.Type != "" || rc.cur != nil && rc.cur.Type != "" {
		return "a non-VM switch port changed"
	}
	return ""
}

// portChange checks a port the round will re-derive, once the indexes
// and the Input hold the round's changes.
func (pl portLevel) portChange(e translate.PortChange) string {
	if pl.ix.parents[e.UUID] > 1 || pl.ix.parents[e.OldUUID] > 1 {
		return "a port listed by more than one switch changed"
	}
	if e.UUID != "" {
		if p := pl.in.SwitchPorts[e.UUID]; p == nil || p.Type != "" {
			return "a port event names a non-VM port"
		}
	}
	return ""
}

// applied turns State.ApplyPorts' refusal into the round's reason.
func applied(why string) string {
	if why == "" {
		return ""
	}
	return "port change needs the whole switch: " + why
}

// samePeer compares two optional peers (a peer is validated: nbvalid).
func samePeer(a, b *string) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// knownChassis reports whether the State was built with a chassis of
// that name, valid or not.
func knownChassis(in translate.Input, name string) bool {
	if slices.Contains(in.Chassis, name) {
		return true
	}
	for _, p := range in.ChassisProblems {
		if p.Table == "Chassis" && p.Name == name {
			return true
		}
	}
	return false
}
