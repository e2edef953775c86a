package nbctl

import (
	"fmt"
	"strings"
	"time"
)

// waitFacts is what dvr-nbctl knows when a --wait times out: the NB_Global
// counters at the start and the end of the wait, what northd left in
// NB_Global, and, when --sb-db is given, what the SB says.
type waitFacts struct {
	mode        string // "sb" or "hv"
	cfg         int    // the nb_cfg waited for
	start, last cfgs
	epoch       string    // NB_Global external_ids:dvr-northd-epoch ("": no instance was ever active)
	sbCfgAt     time.Time // NB_Global sb_cfg_timestamp (zero: unknown)
	now         time.Time
	sb          sbFacts
}

// sbFacts is what the SB said, if it was asked.
type sbFacts struct {
	given    bool   // --sb-db or $DVR_SB_DB set
	endpoint string // the member that answered
	err      error  // why the SB could not be read (given but unreachable)
	lockErr  error  // why the lock could not be probed
	locked   bool   // some session holds northdLock
	behind   []chassisCfg
}

// chassisCfg is a chassis whose Chassis_Private.nb_cfg is below the wait.
type chassisCfg struct {
	name  string
	nbCfg int
}

// northdLock is the OVSDB lock that elects the active dvr-northd (its
// Config.LockName default; dvr-northd has no flag to change it).
const northdLock = "dvr_northd"

// maxNamed bounds the chassis a message names.
const maxNamed = 10

// explainWait words a timed-out wait on one line: what it waited for, that
// the change itself is committed, and who is behind.
func explainWait(f waitFacts) string {
	committed := fmt.Sprintf("the change itself is committed (nb_cfg=%d)", f.last.NbCfg)
	if f.last.SbCfg < f.cfg {
		before := ""
		if f.mode == "hv" {
			before = " (before any chassis can apply it)"
		}
		return fmt.Sprintf("waiting for dvr-northd to carry nb_cfg=%d to SB%s: sb_cfg=%d; %s; %s",
			f.cfg, before, f.last.SbCfg, committed, northdStatus(f))
	}
	return fmt.Sprintf("waiting for every chassis to apply nb_cfg=%d: hv_cfg=%d; %s and in SB (sb_cfg=%d); %s",
		f.cfg, f.last.HvCfg, committed, f.last.SbCfg, chassisStatus(f))
}

// northdStatus says whether a dvr-northd is active. The SB lock is the
// reliable sign: the active instance holds it on a session of its own for
// as long as it runs, and the server drops it when that session ends. NB
// alone can say less: no dvr-northd-epoch means no instance ever became
// active (activating writes it first), and sb_cfg moving during the wait
// means one is alive; an epoch with sb_cfg standing still fits both a
// stopped instance and one stuck in a long round.
func northdStatus(f waitFacts) string {
	sb := f.sb
	if sb.given && sb.err == nil && sb.lockErr == nil {
		if sb.locked {
			return fmt.Sprintf("dvr-northd is active (it holds the SB lock %s on %s) but behind%s", northdLock, sb.endpoint, moved(f))
		}
		return fmt.Sprintf("no dvr-northd is active: nobody holds the SB lock %s on %s; %s", northdLock, sb.endpoint, lastActive(f))
	}
	var pre string
	switch {
	case sb.err != nil:
		pre = fmt.Sprintf("SB not reachable (%v), from NB: ", sb.err)
	case sb.lockErr != nil:
		pre = fmt.Sprintf("SB lock %s not readable on %s (%v), from NB: ", northdLock, sb.endpoint, sb.lockErr)
	}
	switch {
	case f.epoch == "":
		return pre + "no dvr-northd is active: " + lastActive(f)
	case f.last.SbCfg > f.start.SbCfg:
		return pre + "dvr-northd is running but behind" + moved(f)
	}
	hint := ""
	if !sb.given {
		hint = " (give --sb-db or set DVR_SB_DB to check the SB lock)"
	}
	return pre + "dvr-northd is stopped or stuck: " + lastActive(f) + hint
}

// lastActive names the last instance that became active, from NB.
func lastActive(f waitFacts) string {
	if f.epoch == "" {
		return "none has ever been active for this NB (NB_Global has no external_ids:" + keyEpoch + ")"
	}
	s := fmt.Sprintf("the last active one was epoch %s (NB_Global external_ids:%s)", f.epoch, keyEpoch)
	switch ago := f.now.Sub(f.sbCfgAt).Round(time.Second); {
	case f.sbCfgAt.IsZero():
	case ago >= 0:
		s += fmt.Sprintf(", sb_cfg last advanced %s ago", ago)
	default: // northd's clock is ahead of ours
		s += ", sb_cfg last advanced at " + f.sbCfgAt.UTC().Format(time.RFC3339)
	}
	return s
}

// moved says that sb_cfg advanced during the wait, if it did.
func moved(f waitFacts) string {
	if f.last.SbCfg > f.start.SbCfg {
		return fmt.Sprintf(" (sb_cfg went from %d to %d during the wait)", f.start.SbCfg, f.last.SbCfg)
	}
	return ""
}

// chassisStatus names the chassis behind, from the SB when it was read.
func chassisStatus(f waitFacts) string {
	sb := f.sb
	fromNB := fmt.Sprintf("hv_cfg=%d is the lowest nb_cfg a chassis reported when dvr-northd last looked", f.last.HvCfg)
	switch {
	case !sb.given:
		return fromNB + "; give --sb-db or set DVR_SB_DB to name the chassis behind"
	case sb.err != nil:
		return fmt.Sprintf("SB not reachable (%v), so the chassis behind cannot be named: %s", sb.err, fromNB)
	case len(sb.behind) == 0:
		return fmt.Sprintf("every chassis in Chassis_Private on SB %s reports nb_cfg>=%d, but dvr-northd has not copied that into hv_cfg: %s",
			sb.endpoint, f.cfg, northdStatus(f))
	}
	names := make([]string, 0, min(len(sb.behind), maxNamed))
	for _, c := range sb.behind[:min(len(sb.behind), maxNamed)] {
		names = append(names, fmt.Sprintf("%s nb_cfg=%d", c.name, c.nbCfg))
	}
	s := fmt.Sprintf("chassis behind (Chassis_Private on SB %s): %s", sb.endpoint, strings.Join(names, ", "))
	if n := len(sb.behind) - maxNamed; n > 0 {
		s += fmt.Sprintf(", and %d more", n)
	}
	return s
}
