package router

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"

	"github.com/sirupsen/logrus"
	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Port is what Plumber needs to put one qr- device's outer end on br-int.
type Port struct {
	Router string // NB router UUID
	Device string // qr-<11>, in the router namespace
	Outer  string // the kernel device to plug, in the applier's namespace
	VLAN   int    // the network's local VLAN: the port's tag
	// Replug says the device was (re-)created in this apply: a port of
	// that name already in OVS must be deleted and added again in a later
	// transaction (OVS does not read a veth re-created under its name).
	Replug bool
}

// Plumber is the OVS side, done by the chassis daemon's OVSDB applier:
// Plug makes sure port.Outer is a port on br-int tagged port.VLAN, with
// external_ids:dvr-chassis-owner and no iface-id (idempotent); Unplug
// removes it and is no error when it is absent.
type Plumber interface {
	Plug(port Port) error
	Unplug(port Port) error
}

// Applier reconciles the kernel with a State. It holds no state of its own.
type Applier struct {
	SystemID string
	Plumber  Plumber
	Log      logrus.FieldLogger
}

// Result lists what one Apply changed, one line per change.
type Result struct {
	Changes []string
}

func (r *Result) add(format string, args ...any) {
	r.Changes = append(r.Changes, fmt.Sprintf(format, args...))
}

// Apply makes the router namespaces what st says, and sweeps the
// qrouter-* namespaces of ours that st does not name. It goes on past a
// failing namespace and returns every error joined.
func (a *Applier) Apply(st State) (Result, error) {
	var res Result
	var errs []error
	if a.Log == nil || a.Plumber == nil || a.SystemID == "" {
		return res, errors.New("router.Applier needs SystemID, Plumber and Log")
	}
	root, err := netlink.NewHandle()
	if err != nil {
		return res, err
	}
	defer root.Close()
	existing, err := listRouterNamespaces()
	if err != nil {
		return res, err
	}
	want := map[string]bool{}
	for _, ns := range st.Namespaces {
		want[ns.Name] = true
		if err := a.applyNamespace(root, ns, contains(existing, ns.Name), &res); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", ns.Name, err))
		}
	}
	for _, name := range existing {
		if want[name] {
			continue
		}
		if err := a.sweepNamespace(name, &res); err != nil {
			errs = append(errs, fmt.Errorf("sweep %s: %w", name, err))
		}
	}
	return res, errors.Join(errs...)
}

func (a *Applier) applyNamespace(root *netlink.Handle, ns Namespace, exists bool, res *Result) error {
	log := a.Log.WithField("router", ns.Router)
	if !exists {
		if err := createNamespace(ns.Name); err != nil {
			return err
		}
		res.add("%s: created", ns.Name)
		log.Info("router namespace created")
	}
	h, nsh, err := openNamespace(ns.Name)
	if err != nil {
		return err
	}
	defer nsh.Close()
	defer h.Close()
	if err := a.markLoopback(h, ns.Name, res); err != nil {
		return err
	}
	// Sysctls before any device enters (IPv6 off).
	changed, err := setSysctls(ns.Name, ns.Sysctls)
	for _, k := range changed {
		res.add("%s: sysctl %s", ns.Name, k)
	}
	if err != nil {
		return err
	}
	return a.reconcileDevices(root, h, nsh, ns, res)
}

// markLoopback brings lo up and marks it: the namespace is ours from now
// on, even before it holds a qr- device, across restarts.
func (a *Applier) markLoopback(h *netlink.Handle, ns string, res *Result) error {
	lo, err := h.LinkByName("lo")
	if err != nil {
		return err
	}
	mark := Mark(a.SystemID)
	if lo.Attrs().Alias != mark {
		if lo.Attrs().Alias != "" && lo.Attrs().Alias != mark {
			return fmt.Errorf("lo carries another owner's mark %q", lo.Attrs().Alias)
		}
		if err := h.LinkSetAlias(lo, mark); err != nil {
			return err
		}
		res.add("%s: lo marked", ns)
	}
	if lo.Attrs().Flags&netUp == 0 {
		if err := h.LinkSetUp(lo); err != nil {
			return err
		}
		res.add("%s: lo up", ns)
	}
	return nil
}

// sweepNamespace deletes a qrouter-* namespace st does not name, if it is
// ours: its marked devices leave OVS first, then go; a namespace that
// still holds an unmarked device is left in place (and logged).
func (a *Applier) sweepNamespace(name string, res *Result) error {
	log := a.Log.WithField("namespace", name)
	h, nsh, err := openNamespace(name)
	if err != nil {
		return err
	}
	links, err := h.LinkList()
	if err != nil {
		h.Close()
		nsh.Close()
		return err
	}
	mark := Mark(a.SystemID)
	ours, foreign := false, []string{}
	for _, l := range links {
		switch {
		case l.Attrs().Alias == mark:
			ours = true
		case l.Attrs().Name != "lo":
			foreign = append(foreign, l.Attrs().Name)
		}
	}
	if !ours {
		h.Close()
		nsh.Close()
		return nil // not ours: never touched
	}
	var errs []error
	for _, l := range links {
		if l.Attrs().Alias != mark || l.Attrs().Name == "lo" {
			continue
		}
		if err := a.removeDevice(h, name, l, res); err != nil {
			errs = append(errs, err)
		}
	}
	h.Close()
	nsh.Close()
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if len(foreign) > 0 {
		log.WithField("devices", foreign).Warn("stale router namespace kept: it holds devices that are not ours")
		return nil
	}
	if err := deleteNamespace(name); err != nil {
		return err
	}
	res.add("%s: deleted", name)
	log.Info("router namespace deleted")
	return nil
}

func openNamespace(name string) (*netlink.Handle, netns.NsHandle, error) {
	nsh, err := netns.GetFromPath(filepath.Join(netnsDir, name))
	if err != nil {
		return nil, 0, err
	}
	h, err := netlink.NewHandleAt(nsh)
	if err != nil {
		nsh.Close()
		return nil, 0, err
	}
	return h, nsh, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ApplyNamespaces makes the given namespaces what they say and touches no
// other: no sweep. It is for a round that knows which routers' desired
// state changed (the chassis' incremental path); Apply, with its sweep,
// stays the full reconcile. It goes on past a failing namespace and
// returns every error joined.
func (a *Applier) ApplyNamespaces(nss []Namespace) (Result, error) {
	var res Result
	var errs []error
	if a.Log == nil || a.Plumber == nil || a.SystemID == "" {
		return res, errors.New("router.Applier needs SystemID, Plumber and Log")
	}
	if len(nss) == 0 {
		return res, nil
	}
	root, err := netlink.NewHandle()
	if err != nil {
		return res, err
	}
	defer root.Close()
	for _, ns := range nss {
		_, err := os.Stat(filepath.Join(netnsDir, ns.Name))
		if err := a.applyNamespace(root, ns, err == nil, &res); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", ns.Name, err))
		}
	}
	return res, errors.Join(errs...)
}

// ApplyChanges is ApplyNamespaces for namespaces whose last applied state
// is known (old, by name): a namespace whose devices are the same but for
// their neighbour entries gets only the entries that differ set or
// deleted (O(the change), no listing), on trust that the kernel still
// holds what was applied (the full reconcile, Apply, repairs drift); any
// other goes through ApplyNamespaces.
func (a *Applier) ApplyChanges(old map[string]Namespace, nss []Namespace) (Result, error) {
	var res Result
	var rest []Namespace
	var errs []error
	for _, ns := range nss {
		o, ok := old[ns.Name]
		if !ok || !sameButNeighbours(o, ns) {
			rest = append(rest, ns)
			continue
		}
		if err := a.applyNeighbourChanges(o, ns, &res); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", ns.Name, err))
		}
	}
	r2, err := a.ApplyNamespaces(rest)
	res.Changes = append(res.Changes, r2.Changes...)
	return res, errors.Join(append(errs, err)...)
}

// sameButNeighbours: a and b differ at most in their devices' neighbours.
func sameButNeighbours(a, b Namespace) bool {
	if a.Name != b.Name || a.Router != b.Router || len(a.Devices) != len(b.Devices) || !reflect.DeepEqual(a.Sysctls, b.Sysctls) {
		return false
	}
	for i := range a.Devices {
		x, y := a.Devices[i], b.Devices[i]
		x.Neighbours, y.Neighbours = nil, nil
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

func (a *Applier) applyNeighbourChanges(o, ns Namespace, res *Result) error {
	var h *netlink.Handle
	var errs []error
	for i, d := range ns.Devices {
		was := map[netip.Addr]string{}
		for _, n := range o.Devices[i].Neighbours {
			was[n.IP] = n.MAC
		}
		want := map[netip.Addr]bool{}
		var set, del []Neighbour
		for _, n := range d.Neighbours {
			want[n.IP] = true
			if was[n.IP] != n.MAC {
				set = append(set, n)
			}
		}
		for _, n := range o.Devices[i].Neighbours {
			if !want[n.IP] {
				del = append(del, n)
			}
		}
		if len(set)+len(del) == 0 {
			continue
		}
		if h == nil {
			var nsh netns.NsHandle
			var err error
			if h, nsh, err = openNamespace(ns.Name); err != nil {
				return err
			}
			defer nsh.Close()
			defer h.Close()
		}
		l, err := h.LinkByName(d.Name)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", d.Name, err))
			continue
		}
		idx := l.Attrs().Index
		for _, n := range del {
			e := &netlink.Neigh{LinkIndex: idx, Family: netlink.FAMILY_V4, IP: net.IP(n.IP.AsSlice())}
			if err := h.NeighDel(e); err != nil && !errors.Is(err, unix.ENOENT) {
				errs = append(errs, err)
				continue
			}
			res.add("%s: %s neigh del %s", ns.Name, d.Name, n.IP)
		}
		for _, n := range set {
			mac, _ := net.ParseMAC(n.MAC)
			e := &netlink.Neigh{LinkIndex: idx, Family: netlink.FAMILY_V4, State: unix.NUD_PERMANENT,
				IP: net.IP(n.IP.AsSlice()), HardwareAddr: mac}
			if err := h.NeighSet(e); err != nil {
				errs = append(errs, err)
				continue
			}
			res.add("%s: %s neigh replace %s lladdr %s", ns.Name, d.Name, n.IP, n.MAC)
		}
	}
	return errors.Join(errs...)
}
