package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
	"github.com/dvr-ovn/dvr/internal/hvtest"
	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
)

// hypervisors are one column's K hypervisors on their underlay.
type hypervisors struct {
	sw  *hvtest.Switch
	hvs []*hvtest.HV
}

// bootHypervisors boots the underlay and K hypervisors (hvtest's recipe),
// fills their tunnel neighbour tables and registers their teardown.
func bootHypervisors(k int) (*hypervisors, error) {
	sw, hvs, err := hvtest.BootNetwork("e2e", k)
	if err != nil {
		return nil, err
	}
	h := &hypervisors{sw: sw, hvs: hvs}
	benchkit.OnExit(h.close)
	return h, sw.PopulateARP()
}

func (h *hypervisors) close() {
	for i := len(h.hvs) - 1; i >= 0; i-- {
		h.hvs[i].Close()
	}
	h.sw.Close()
}

// vswitchds are the hypervisors' ovs-vswitchd pids.
func (h *hypervisors) vswitchds() []int {
	var pids []int
	for _, hv := range h.hvs {
		pids = append(pids, hv.Vswitchd.Pid())
	}
	return pids
}

// each runs f on every hypervisor in parallel.
func (h *hypervisors) each(f func(i int, hv *hvtest.HV) error) error {
	errs := make([]error, len(h.hvs))
	var wg sync.WaitGroup
	for i, hv := range h.hvs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(i, hv); err != nil {
				errs[i] = fmt.Errorf("%s: %w", hv.Name, err)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// plug plugs vms(i) on every hypervisor i, in parallel.
func (h *hypervisors) plug(vms func(i int) []hvtest.VMSpec) error {
	return h.each(func(i int, hv *hvtest.HV) error { return hv.PlugVMs(vms(i), 500) })
}

var flowCountRE = regexp.MustCompile(`flow_count=(\d+)`)

// flowCounts counts the OpenFlow flows of every bridge of hypervisor hv but
// br-phy (the underlay's, NORMAL), by bridge.
func flowCounts(hv *hvtest.HV) (map[string]int, error) {
	out, err := hv.Vsctl("--no-wait", "list-br")
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, out)
	}
	m := map[string]int{}
	for _, br := range strings.Split(strings.TrimSpace(benchkit.DropOVSLog(out)), "\n") {
		if br == hvtest.PhysBridge || br == "" {
			continue
		}
		o, err := hv.Ofctl("dump-aggregate", br)
		if err != nil {
			return nil, fmt.Errorf("%v: %s", err, o)
		}
		sm := flowCountRE.FindStringSubmatch(o)
		if sm == nil {
			return nil, fmt.Errorf("dump-aggregate %s: no flow_count in %q", br, o)
		}
		m[br], _ = strconv.Atoi(sm[1])
	}
	return m, nil
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// allFlows is flows of every hypervisor.
func (h *hypervisors) allFlows() ([]map[string]int, error) {
	out := make([]map[string]int, len(h.hvs))
	err := h.each(func(i int, hv *hvtest.HV) error {
		var err error
		out[i], err = flowCounts(hv)
		return err
	})
	return out, err
}

// ifaceWatch follows one hypervisor's Interface table (name, ofport) with
// a monitor on its local OVSDB, stamping each update as it arrives: when
// a row with one of the name prefixes appeared and when ovs-vswitchd gave
// it an ofport. It times the qr- plugs that dvr-chassis makes (a qr-
// internal port, or with the veth driver the qo- end on br-int).
type ifaceWatch struct {
	c        *ovsdbrpc.Conn
	prefixes []string
	mu       sync.Mutex
	added    map[string]time.Time // name → row seen
	ported   map[string]time.Time // name → ofport > 0 seen
}

func watchIfaces(ctx context.Context, hv *hvtest.HV, prefixes ...string) (*ifaceWatch, error) {
	w := &ifaceWatch{prefixes: prefixes, added: map[string]time.Time{}, ported: map[string]time.Time{}}
	c, err := ovsdbrpc.Dial(ctx, hv.Endpoint(), nil, w.notify)
	if err != nil {
		return nil, err
	}
	w.c = c
	var initial json.RawMessage
	req := map[string]any{"Interface": map[string]any{"columns": []string{"name", "ofport"}}}
	if err := c.Call(ctx, "monitor", []any{"Open_vSwitch", "ifaces", req}, &initial); err != nil {
		c.Close()
		return nil, fmt.Errorf("monitor Interface: %w", err)
	}
	benchkit.OnExit(func() { c.Close() })
	return w, nil
}

func (w *ifaceWatch) notify(method string, params json.RawMessage) {
	at := time.Now()
	u, ok := benchkit.MonitorUpdate(method, params)
	if !ok {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, r := range u["Interface"] {
		name, _ := r.New["name"].(string)
		if !w.wanted(name) {
			continue
		}
		if r.Old == nil { // an insert: "old" is absent
			if _, ok := w.added[name]; !ok {
				w.added[name] = at
			}
		}
		if of, ok := r.New["ofport"].(float64); ok && of > 0 {
			if _, ok := w.ported[name]; !ok {
				w.ported[name] = at
			}
		}
	}
}

func (w *ifaceWatch) wanted(name string) bool {
	for _, p := range w.prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// plugsSince is, for the rows that appeared since t0, the time from the
// first row seen to the last ofport seen (0 when none appeared), and
// whether every one of them got its ofport.
func (w *ifaceWatch) plugsSince(t0 time.Time) (time.Duration, int, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var first, last time.Time
	n, done := 0, true
	for name, at := range w.added {
		if at.Before(t0) {
			continue
		}
		n++
		if first.IsZero() || at.Before(first) {
			first = at
		}
		pt, ok := w.ported[name]
		if !ok {
			done = false
			continue
		}
		if pt.After(last) {
			last = pt
		}
	}
	if n == 0 || last.IsZero() {
		return 0, n, done
	}
	return last.Sub(first), n, done
}
