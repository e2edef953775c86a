package northd

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"
	"github.com/ovn-org/libovsdb/ovsdb"
	"github.com/sirupsen/logrus"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/ovsdbops"
	"github.com/dvr-ovn/dvr/internal/sbdb"
	"github.com/dvr-ovn/dvr/internal/sbkeys"
	"github.com/dvr-ovn/dvr/northd/translate"
)

// readNB copies the NB cache into a snapshot.
func readNB(ctx context.Context, c client.Client) (*NBState, error) {
	s := &NBState{}
	var gs []nbdb.NBGlobal
	for _, l := range []any{&gs, &s.Switches, &s.SwitchPorts, &s.Routers, &s.RouterPorts} {
		if err := c.List(ctx, l); err != nil {
			return nil, err
		}
	}
	if len(gs) > 0 {
		s.Global = &gs[0]
	}
	return s, nil
}

// readSB copies the SB cache into a snapshot.
func readSB(ctx context.Context, c client.Client) (*SBState, error) {
	s := &SBState{}
	var gs []sbdb.SBGlobal
	for _, l := range []any{&gs, &s.Chassis, &s.ChassisPrivate, &s.Encaps, &s.Datapaths, &s.Ports, &s.MACs, &s.RouterBindings,
		&s.Claims, &s.Roles, &s.Permissions} {
		if err := c.List(ctx, l); err != nil {
			return nil, err
		}
	}
	if len(gs) > 0 {
		s.Global = &gs[0]
	}
	return s, nil
}

// round brings SB (and LSP.up, the barrier columns in NB) up to date. It
// does nothing until both views show our last writes; then it recomputes
// fully when something other than port-level rows changed (or it has no
// State yet), and applies port-level changes incrementally otherwise.
func (n *Northd) round(ctx context.Context, nbc, sbc client.Client) error {
	nbG, sbG, err := readGlobals(ctx, nbc, sbc)
	if err != nil {
		return err
	}
	for _, g := range []map[string]string{sbIDs(sbG), nbIDs(nbG)} {
		if v := g[sbkeys.KeyEpoch]; v != n.epoch && epochOf(v) >= epochOf(n.epoch) {
			// Another instance activated after us: we are fenced.
			return &txnError{fenced: true, msg: fmt.Sprintf("epoch %s is in the database (ours: %s)", v, n.epoch)}
		}
	}
	if !n.inView(nbG, sbG) {
		if !n.waitingSince.IsZero() && time.Since(n.waitingSince) > epochCheck {
			// The views may just lag; the leaders know.
			return n.checkEpoch(ctx)
		}
		return nil
	}
	ch := n.changes.take()
	// Read again: everything taken is in the views now (libovsdb updates
	// its cache before it hands out the event).
	if nbG, sbG, err = readGlobals(ctx, nbc, sbc); err != nil || nbG == nil || sbG == nil {
		n.changes.needFull("global rows vanished from view")
		return err
	}
	if n.state != nil {
		n.ix.datapathEvents(ch)
		if ds := findDrift(n.state.Output(), ch, &n.ix, sbView{ctx, sbc, &n.ix}); len(ds) > 0 {
			n.reportDrift(ds)
			if ch.full == "" {
				ch.full = "another writer changed rows northd owns"
			}
		}
	}
	_, nbGen := n.nbMon.Get()
	_, sbGen := n.sbMon.Get()
	switch {
	case n.state == nil || ch.full != "" || [2]int{nbGen, sbGen} != n.gens:
		why := ch.full
		if why == "" {
			why = "fresh view"
		}
		n.log.WithField("reason", why).Debug("full round")
		n.gens = [2]int{nbGen, sbGen}
		return n.fullRound(ctx, nbc, sbc, ch.since)
	case ch.empty():
		return nil
	}
	return n.incrementalRound(ctx, nbc, sbc, ch, nbG, sbG)
}

func sbIDs(g *sbdb.SBGlobal) map[string]string {
	if g == nil {
		return nil
	}
	return g.ExternalIDs
}

func nbIDs(g *nbdb.NBGlobal) map[string]string {
	if g == nil {
		return nil
	}
	return g.ExternalIDs
}

// readGlobals reads NB_Global and SB_Global from the views.
func readGlobals(ctx context.Context, nbc, sbc client.Client) (*nbdb.NBGlobal, *sbdb.SBGlobal, error) {
	var ng []nbdb.NBGlobal
	var sg []sbdb.SBGlobal
	if err := nbc.List(ctx, &ng); err != nil {
		return nil, nil, err
	}
	if err := sbc.List(ctx, &sg); err != nil {
		return nil, nil, err
	}
	if len(ng) == 0 || len(sg) == 0 {
		return nil, nil, nil
	}
	return &ng[0], &sg[0], nil
}

// inView reports whether both views show our epoch and last writes; when
// they have not for too long, the monitors are replaced.
func (n *Northd) inView(nbG *nbdb.NBGlobal, sbG *sbdb.SBGlobal) bool {
	if nbG != nil && sbG != nil && n.current(sbG.ExternalIDs, n.pendingSB) && n.current(nbG.ExternalIDs, n.pendingNB) {
		n.waitingSince = time.Time{}
		return true
	}
	if n.waitingSince.IsZero() {
		n.waitingSince = time.Now()
	} else if time.Since(n.waitingSince) > staleView {
		n.log.WithFields(logrus.Fields{"pending_sb": n.pendingSB, "pending_nb": n.pendingNB}).
			Warnf("the monitors have not shown our last write for %v: replacing them", staleView)
		n.waitingSince = time.Time{}
		n.nbMon.Reset()
		n.sbMon.Reset()
		return false
	}
	if n.log.Logger.IsLevelEnabled(logrus.DebugLevel) {
		var sbIDs, nbIDs map[string]string
		if sbG != nil {
			sbIDs = sbG.ExternalIDs
		}
		if nbG != nil {
			nbIDs = nbG.ExternalIDs
		}
		n.log.WithFields(logrus.Fields{"pending_sb": n.pendingSB, "pending_nb": n.pendingNB, "sb_ids": sbIDs, "nb_ids": nbIDs}).
			Debug("waiting for the monitors to show our last write")
	}
	return false
}

// fullRound recomputes everything from the views and keeps the State
// for incremental rounds.
func (n *Northd) fullRound(ctx context.Context, nbc, sbc client.Client, since time.Time) error {
	start := time.Now()
	nb, err := readNB(ctx, nbc)
	if err != nil {
		return err
	}
	sb, err := readSB(ctx, sbc)
	if err != nil {
		return err
	}
	if nb.Global == nil || sb.Global == nil {
		return nil
	}
	read := time.Now()
	n.state = translate.NewState(Input(nb, sb, n.cfg.BaseMAC))
	n.index(nb, sb)
	out := n.state.Output()
	translated := time.Now()
	n.logProblems(out.Problems)
	n.stats.Rounds.Add(1)
	n.stats.FullRounds.Add(1)
	sbm, err := n.models.sb(sbc)
	if err != nil {
		return err
	}
	ops, counts, err := DiffSB(sbm, out, sb)
	if err != nil {
		return err
	}
	nbm, err := n.models.nb(nbc)
	if err != nil {
		return err
	}
	nops, err := DiffLSPUp(nbm, out.LSPUp, nb.SwitchPorts)
	if err != nil {
		return err
	}
	diffed := time.Now()
	t, err := n.commit(ctx, sbm, nbm, nb, sb, ops, counts, nops)
	if err != nil {
		return err
	}
	n.cfg.Metrics.round("full", time.Since(start))
	n.log.WithFields(logrus.Fields{"kind": "full", "read_ms": ms(read.Sub(start)), "translate_ms": ms(translated.Sub(read)),
		"diff_ms": ms(diffed.Sub(translated)), "sb_commit_ms": ms(t.sb), "nb_commit_ms": ms(t.nb), "sb_ops": len(ops), "nb_ops": len(nops),
		"since_change_ms": sinceMS(since, t.sbAcked)}).Debug("round done")
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// sinceMS is the time from the first change a round handled to its SB
// commit being acknowledged (0 when unknown).
func sinceMS(since, acked time.Time) float64 {
	if since.IsZero() || acked.IsZero() {
		return 0
	}
	return ms(acked.Sub(since))
}

// commitTimes are how long the two commits took.
type commitTimes struct {
	sb, nb  time.Duration
	sbAcked time.Time // when the SB commit was acknowledged (zero: none)
}

// commit sends the SB operations (with SB_Global.nb_cfg), then the NB ones
// (with the barrier columns), each fenced and followed by a sequence
// number that the next round waits to see in the views.
func (n *Northd) commit(ctx context.Context, sbm, nbm model.DatabaseModel, nb *NBState, sb *SBState,
	ops []ovsdb.Operation, counts Counts, nops []ovsdb.Operation) (commitTimes, error) {
	var t commitTimes
	nbCfg := nb.Global.NbCfg
	n.log.WithFields(logrus.Fields{"nb_cfg": nbCfg, "sb_nb_cfg": sb.Global.NbCfg, "nb_sb_cfg": nb.Global.SbCfg, "sb_ops": len(ops), "nb_ops": len(nops)}).Debug("commit")
	if sb.Global.NbCfg != nbCfg {
		op, err := ovsdbops.Update(sbm, sbdb.SBGlobalTable, sb.Global.UUID, &sbdb.SBGlobal{NbCfg: nbCfg}, "nb_cfg")
		if err != nil {
			return t, err
		}
		ops = append(ops, op)
	}
	if len(ops) > 0 {
		seq := seqOf(sb.Global.ExternalIDs) + 1
		ops = append(ops, ovsdbops.SetMapKey(sbdb.SBGlobalTable, sb.Global.UUID, "external_ids", sbkeys.KeySeq, strconv.Itoa(seq))...)
		start := time.Now()
		if _, err := n.sbw.transact(ctx, sbdb.SBGlobalTable, n.epoch, ops); err != nil {
			return t, err
		}
		t.sbAcked = time.Now()
		t.sb = t.sbAcked.Sub(start)
		n.pendingSB = seq
		n.stats.SBTxns.Add(1)
		n.cfg.Metrics.wrote(counts)
	}
	nbCounts := Counts{nbdb.LogicalSwitchPortTable: len(nops)}
	gops, err := globalOps(nbm, nb, sb, nbCfg, time.Now())
	if err != nil {
		return t, err
	}
	if len(gops) > 0 {
		nops = append(nops, gops...)
		nbCounts[nbdb.NBGlobalTable]++
	}
	if len(nops) > 0 {
		seq := seqOf(nb.Global.ExternalIDs) + 1
		nops = append(nops, ovsdbops.SetMapKey(nbdb.NBGlobalTable, nb.Global.UUID, "external_ids", sbkeys.KeySeq, strconv.Itoa(seq))...)
		start := time.Now()
		if _, err := n.nbw.transact(ctx, nbdb.NBGlobalTable, n.epoch, nops); err != nil {
			return t, err
		}
		t.nb = time.Since(start)
		n.pendingNB = seq
		n.stats.NBTxns.Add(1)
		n.cfg.Metrics.wrote(nbCounts)
	}
	return t, nil
}

// epochCheck is how long a round waits for the views to show our epoch
// before it asks the leaders whether the epoch is still ours.
const epochCheck = 2 * time.Second

// checkEpoch reads the epoch from the leaders; another value fences us.
// A sequence number below what we wrote (another client rolled it back)
// is accepted, with a full round to resync.
func (n *Northd) checkEpoch(ctx context.Context) error {
	for _, w := range []struct {
		w       *writer
		table   string
		pending *int
	}{{n.sbw, sbdb.SBGlobalTable, &n.pendingSB}, {n.nbw, nbdb.NBGlobalTable, &n.pendingNB}} {
		c, err := w.w.session(ctx)
		if err != nil {
			return err
		}
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		g, err := readGlobal(cctx, c, w.w.db, w.table)
		cancel()
		if err != nil {
			return err
		}
		if g == nil || g.ids[sbkeys.KeyEpoch] != n.epoch {
			v := ""
			if g != nil {
				v = g.ids[sbkeys.KeyEpoch]
			}
			return &txnError{fenced: true, msg: fmt.Sprintf("%s epoch is %q, not ours (%s)", w.table, v, n.epoch)}
		}
		if seq := seqOf(g.ids); seq < *w.pending {
			n.log.WithFields(logrus.Fields{"table": w.table, "seq": seq, "ours": *w.pending}).
				Warn("our write sequence number was rolled back by another client: resyncing")
			*w.pending = seq
			n.changes.needFull("sequence number rolled back")
		}
	}
	return nil
}

// staleView is how long a round waits for the monitors to show northd's
// own last write before it suspects them and replaces them.
const staleView = 10 * time.Second

func seqOf(ids map[string]string) int {
	s, _ := strconv.Atoi(ids[sbkeys.KeySeq])
	return s
}

// globalOps updates NB_Global's barrier columns: nb_cfg_timestamp in the
// round that carries a new nb_cfg to SB, sb_cfg once SB holds it (this
// round's SB commit, already acknowledged, carried it), hv_cfg from the
// chassis. sb is the view before this round's SB commit.
func globalOps(nbm model.DatabaseModel, nb *NBState, sb *SBState, nbCfg int, at time.Time) ([]ovsdb.Operation, error) {
	g := nb.Global
	now := int(at.UnixMilli())
	w := &nbdb.NBGlobal{}
	var cols []string
	if sb.Global.NbCfg != nbCfg {
		w.NbCfgTimestamp = now
		cols = append(cols, "nb_cfg_timestamp")
	}
	if g.SbCfg != nbCfg {
		w.SbCfg, w.SbCfgTimestamp = nbCfg, now
		cols = append(cols, "sb_cfg", "sb_cfg_timestamp")
	}
	hv, hvTS := hvCfg(sb, nbCfg)
	if g.HvCfg != hv {
		w.HvCfg, w.HvCfgTimestamp = hv, hvTS
		if hvTS == 0 {
			w.HvCfgTimestamp = now
		}
		cols = append(cols, "hv_cfg", "hv_cfg_timestamp")
	}
	if len(cols) == 0 {
		return nil, nil
	}
	op, err := ovsdbops.Update(nbm, nbdb.NBGlobalTable, g.UUID, w, cols...)
	if err != nil {
		return nil, err
	}
	return []ovsdb.Operation{op}, nil
}

// hvCfg is the minimum nb_cfg the registered chassis report (nbCfg when
// there are none) and the latest timestamp among chassis at that minimum.
func hvCfg(sb *SBState, nbCfg int) (int, int) {
	registered := map[string]bool{}
	for _, c := range sb.Chassis {
		if c.OtherConfig["is-remote"] != "true" {
			registered[c.Name] = true
		}
	}
	minCfg, ts, any := 0, 0, false
	for _, p := range sb.ChassisPrivate {
		if !registered[p.Name] {
			continue
		}
		switch {
		case !any || p.NbCfg < minCfg:
			minCfg, ts, any = p.NbCfg, p.NbCfgTimestamp, true
		case p.NbCfg == minCfg && p.NbCfgTimestamp > ts:
			ts = p.NbCfgTimestamp
		}
	}
	if !any {
		return nbCfg, 0
	}
	return minCfg, ts
}

// reportDrift logs what another writer changed in northd-owned rows (the
// first few of a round, then a count) and counts it; the round repairs it.
func (n *Northd) reportDrift(ds []drift) {
	const shown = 10
	for i, d := range ds {
		n.stats.Drift.Add(1)
		n.cfg.Metrics.drifted(d.table)
		if i < shown {
			n.log.WithFields(logrus.Fields{"table": d.table, "row": d.row, "column": d.column}).
				Warn("drift: another writer changed a value northd owns; repairing it")
		}
	}
	if len(ds) > shown {
		n.log.WithField("more", len(ds)-shown).Warn("drift: more values changed by another writer; repairing them")
	}
}

// logProblems logs each skipped row once, and once more when it is fixed.
func (n *Northd) logProblems(ps []translate.Problem) {
	now := make(map[translate.Problem]bool, len(ps))
	for _, p := range ps {
		now[p] = true
		if !n.problems[p] {
			n.log.WithFields(map[string]any{"table": p.Table, "row": p.Name}).Warn("skipped: " + p.Reason)
		}
	}
	for p := range n.problems {
		if !now[p] {
			n.log.WithFields(map[string]any{"table": p.Table, "row": p.Name}).Info("no longer skipped (was: " + p.Reason + ")")
		}
	}
	n.problems = now
	n.cfg.Metrics.setProblems(len(ps))
}
