package nbctl

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// explainWait is pure: every branch of the wording, from facts.
func TestExplainWait(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	sbOK := func(locked bool, behind ...chassisCfg) sbFacts {
		return sbFacts{given: true, endpoint: "unix:/s", locked: locked, behind: behind}
	}
	var many []chassisCfg
	for i := range 12 {
		many = append(many, chassisCfg{fmt.Sprintf("hv%02d", i), i})
	}
	cases := []struct {
		name string
		f    waitFacts
		want []string
		not  []string
	}{
		{"sb, never active, no SB", waitFacts{mode: "sb", cfg: 5, last: cfgs{5, 4, 4}},
			[]string{"waiting for dvr-northd to carry nb_cfg=5 to SB: sb_cfg=4", "the change itself is committed (nb_cfg=5)",
				"no dvr-northd is active: none has ever been active for this NB"}, []string{"chassis"}},
		{"sb, lock free, stale epoch", waitFacts{mode: "sb", cfg: 5, last: cfgs{5, 4, 4}, epoch: "3:a", sbCfgAt: now.Add(-90 * time.Second), now: now, sb: sbOK(false)},
			[]string{"no dvr-northd is active: nobody holds the SB lock dvr_northd on unix:/s", "the last active one was epoch 3:a", "sb_cfg last advanced 1m30s ago"}, nil},
		{"sb, clock skew", waitFacts{mode: "sb", cfg: 5, last: cfgs{5, 4, 4}, epoch: "3:a", sbCfgAt: now.Add(time.Minute), now: now, sb: sbOK(false)},
			[]string{"sb_cfg last advanced at 2026-01-01T12:01:00Z"}, []string{"ago"}},
		{"sb, lock held, moved", waitFacts{mode: "sb", cfg: 9, start: cfgs{9, 5, 5}, last: cfgs{9, 7, 7}, epoch: "3:a", sb: sbOK(true)},
			[]string{"dvr-northd is active (it holds the SB lock dvr_northd on unix:/s) but behind (sb_cfg went from 5 to 7 during the wait)"}, nil},
		{"sb, NB only, moved", waitFacts{mode: "sb", cfg: 9, start: cfgs{9, 5, 5}, last: cfgs{9, 7, 7}, epoch: "3:a"},
			[]string{"dvr-northd is running but behind (sb_cfg went from 5 to 7"}, []string{"--sb-db"}},
		{"sb, NB only, still", waitFacts{mode: "sb", cfg: 9, start: cfgs{9, 5, 5}, last: cfgs{9, 5, 5}, epoch: "3:a"},
			[]string{"dvr-northd is stopped or stuck: the last active one was epoch 3:a", "give --sb-db or set DVR_SB_DB"}, []string{"ago"}},
		{"sb, SB unreachable", waitFacts{mode: "sb", cfg: 9, start: cfgs{9, 5, 5}, last: cfgs{9, 5, 5}, epoch: "3:a", sb: sbFacts{given: true, err: errors.New("unix:/s: connect: refused")}},
			[]string{"SB not reachable (unix:/s: connect: refused), from NB: dvr-northd is stopped or stuck"}, []string{"give --sb-db"}},
		{"sb, lock probe failed", waitFacts{mode: "sb", cfg: 9, last: cfgs{9, 5, 5}, sb: sbFacts{given: true, endpoint: "unix:/s", lockErr: errors.New("boom")}},
			[]string{"SB lock dvr_northd not readable on unix:/s (boom), from NB: no dvr-northd is active"}, nil},
		{"hv before sb", waitFacts{mode: "hv", cfg: 5, last: cfgs{5, 4, 4}, sb: sbOK(false)},
			[]string{"(before any chassis can apply it)", "no dvr-northd is active"}, nil},
		{"hv, chassis behind", waitFacts{mode: "hv", cfg: 5, last: cfgs{5, 5, 3}, sb: sbOK(true, chassisCfg{"hv1", 3}, chassisCfg{"hv2", 4})},
			[]string{"waiting for every chassis to apply nb_cfg=5: hv_cfg=3", "committed (nb_cfg=5) and in SB (sb_cfg=5)",
				"chassis behind (Chassis_Private on SB unix:/s): hv1 nb_cfg=3, hv2 nb_cfg=4"}, []string{"more"}},
		{"hv, many behind", waitFacts{mode: "hv", cfg: 50, last: cfgs{50, 50, 0}, sb: sbOK(true, many...)},
			[]string{"hv09 nb_cfg=9, and 2 more"}, []string{"hv10"}},
		{"hv, none behind in SB", waitFacts{mode: "hv", cfg: 5, last: cfgs{5, 5, 3}, epoch: "1:x", sb: sbOK(false)},
			[]string{"every chassis in Chassis_Private on SB unix:/s reports nb_cfg>=5, but dvr-northd has not copied that into hv_cfg", "no dvr-northd is active"}, nil},
		{"hv, no SB", waitFacts{mode: "hv", cfg: 5, last: cfgs{5, 5, 3}},
			[]string{"hv_cfg=3 is the lowest nb_cfg a chassis reported", "give --sb-db or set DVR_SB_DB to name the chassis behind"}, nil},
		{"hv, SB unreachable", waitFacts{mode: "hv", cfg: 5, last: cfgs{5, 5, 3}, sb: sbFacts{given: true, err: errors.New("x")}},
			[]string{"SB not reachable (x), so the chassis behind cannot be named: hv_cfg=3"}, nil},
	}
	for _, c := range cases {
		got := explainWait(c.f)
		if strings.Contains(got, "\n") {
			t.Errorf("%s: more than one line: %q", c.name, got)
		}
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", c.name, got, w)
			}
		}
		for _, n := range c.not {
			if strings.Contains(got, n) {
				t.Errorf("%s: %q has %q", c.name, got, n)
			}
		}
	}
}

func TestChassisBehind(t *testing.T) {
	chassis := []map[string]any{{"name": "a"}, {"name": "b"}, {"name": "c"}, {"name": "r"}}
	chassis[3]["other_config"] = nil // decoded maps are tested end to end
	private := []map[string]any{
		{"name": "a", "nb_cfg": float64(4)}, {"name": "b", "nb_cfg": float64(2)},
		{"name": "c", "nb_cfg": float64(7)}, {"name": "orphan", "nb_cfg": float64(0)},
	}
	got := fmt.Sprint(chassisBehind(chassis, private, 5))
	if want := "[{b 2} {a 4}]"; got != want {
		t.Fatalf("chassisBehind = %s, want %s", got, want)
	}
}
