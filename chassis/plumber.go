package chassis

import (
	"context"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/chassis/router"
	"github.com/dvr-ovn/dvr/internal/vswitchd"
)

// plumber is router.Plumber on the local OVSDB, for one round. Plugging
// itself is PlanOVS' job (the round lists every qr- port it wants, tagged,
// after the router applier ran); plumber only removes: a port whose
// device goes (before the device or its namespace is deleted: an OVS port
// on a vanished device makes ovs-vswitchd spin), and, on Replug, a port
// whose device was re-created (OVS does not read a veth re-created under
// its name), so that PlanOVS adds it again in a later transaction.
type plumber struct {
	ctx    context.Context
	c      client.Client
	bridge string
	owner  string
	// removed counts the ports deleted in this round.
	removed int
}

func (p *plumber) Plug(port router.Port) error {
	if !port.Replug {
		return nil
	}
	return p.remove(port.Outer)
}

func (p *plumber) Unplug(port router.Port) error { return p.remove(port.Outer) }

// remove deletes our port named name from the bridge, if it is there, and
// waits until the monitor shows it gone.
func (p *plumber) remove(name string) error {
	find := func() (string, string, error) {
		lv, err := readLocal(p.ctx, p.c)
		if err != nil {
			return "", "", err
		}
		br, ok := lv.BridgeByName(p.bridge)
		if !ok {
			return "", "", nil
		}
		for _, pu := range br.Ports {
			if port := lv.Ports[pu]; port.Name == name && port.ExternalIDs[OwnerKey] == p.owner {
				return br.UUID, pu, nil
			}
		}
		return br.UUID, "", nil
	}
	br, port, err := find()
	if err != nil || port == "" {
		return err
	}
	if err := transact(p.ctx, p.c, []ovsdb.Operation{
		setMutate(vswitchd.BridgeTable, br, "ports", ovsdb.MutateOperationDelete, []string{port})}); err != nil {
		return err
	}
	p.removed++
	return settle(p.ctx, func() (bool, error) {
		_, left, err := find()
		return left == "", err
	})
}
