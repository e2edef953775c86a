package chassis

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
	"github.com/dvr-ovn/dvr/internal/sbdb"
)

// ClaimOps binds (claims) and unbinds (releases) Port_Bindings through
// this chassis' DVR_Port_Claim rows (claimview.go), and keeps each claim's
// up true exactly on the ports bound here whose flows OVS acknowledged
// (flowed, by logical_port). A claim is an insert: the [logical_port]
// index makes the server refuse a second claim on a port, so of two
// chassis claiming one port at once one transaction fails, and its next
// round sees the winner and leaves the port alone. Releases and up
// changes touch only this chassis' own rows (RBAC refuses anything else
// on a chassis' remote).
func ClaimOps(v *SBView, self string, p ClaimPlan, flowed map[string]bool) []ovsdb.Operation {
	return claimOpsFor(v, self, p, flowed, nil)
}

// claimOpsFor is ClaimOps that checks up only on the bound ports named in
// check (by logical_port; nil: every one), the ports an incremental round
// touched.
func claimOpsFor(v *SBView, self string, p ClaimPlan, flowed map[string]bool, check map[string]bool) []ovsdb.Operation {
	var ops []ovsdb.Operation
	name := v.Chassis[self].Name
	claimed := map[string]bool{}
	for _, u := range p.Claim {
		claimed[u] = true
		pb := v.Ports[u]
		ops = append(ops, insertOp(sbdb.DVRPortClaimTable, "", ovsdb.Row{
			"logical_port": pb.LogicalPort, "chassis_name": name, "up": flowed[pb.LogicalPort]}))
	}
	for _, u := range p.Release {
		if c, ok := v.OwnClaim(v.Ports[u].LogicalPort); ok {
			ops = append(ops, deleteOp(sbdb.DVRPortClaimTable, c.UUID))
		}
	}
	for _, lp := range p.Drop {
		if c, ok := v.OwnClaim(lp); ok {
			ops = append(ops, deleteOp(sbdb.DVRPortClaimTable, c.UUID))
		}
	}
	bound := sortedKeys(p.Bound)
	if check != nil {
		bound = bound[:0]
		for n := range check {
			if u, ok := v.portByName[n]; ok && p.Bound[u] {
				bound = append(bound, u)
			}
		}
		sort.Strings(bound)
	}
	for _, u := range bound {
		pb, ok := v.Ports[u]
		if !ok || claimed[u] {
			continue
		}
		if c, ok := v.OwnClaim(pb.LogicalPort); ok && c.Up != flowed[pb.LogicalPort] {
			ops = append(ops, updateOp(sbdb.DVRPortClaimTable, c.UUID, ovsdb.Row{"up": flowed[pb.LogicalPort]}))
		}
	}
	return ops
}

// settleSB is settle on the SB view kept from events.
func (c *Chassis) settleSB(ctx context.Context, shows func() (bool, error)) error {
	return settleOn(ctx, c.sb.q.signal(), shows)
}

// commitTimeout bounds one transaction.
const commitTimeout = 30 * time.Second

// transact commits ops on c and checks every result.
func transact(ctx context.Context, c client.Client, ops []ovsdb.Operation) error {
	if len(ops) == 0 {
		return nil
	}
	tctx, cancel := context.WithTimeout(ctx, commitTimeout)
	defer cancel()
	res, err := c.Transact(tctx, ops...)
	if err == nil {
		if e := ovsdbrpc.FirstError(ops, 0, res); e != nil {
			return e
		}
	}
	return err
}

// settleTimeout is how long a round waits for its monitor to show its own
// commit (ovsdb-server sends the update before the reply, so it is
// normally there at once).
const settleTimeout = 2 * time.Second

// settle waits until shows holds (a fresh read of the cache shows what was
// committed), or the timeout passes: the next round then simply sees more.
func settle(ctx context.Context, shows func() (bool, error)) error {
	return settleOn(ctx, nil, shows)
}

// settleOn is settle that also looks again as soon as pushed receives
// (the monitor queued a change), not only every 5 ms.
func settleOn(ctx context.Context, pushed <-chan struct{}, shows func() (bool, error)) error {
	deadline := time.Now().Add(settleTimeout)
	for {
		ok, err := shows()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the monitor did not show our commit within %v", settleTimeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-pushed:
		case <-time.After(5 * time.Millisecond):
		}
	}
}
