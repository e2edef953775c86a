package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
	fixtures "github.com/dvr-ovn/dvr/ovsdb-fixtures"
	"github.com/dvr-ovn/dvr/schema"
)

// stage is one size's NB, SB and dvr-northd, with the SB derived and
// every port but the spares bound.
type stage struct {
	plan
	nb, sb   *benchkit.Server
	nbc, sbc *db
	northd   *benchkit.Proc
	chassis  map[string]string // Chassis name → UUID
	pbs      map[string]string // Port_Binding UUID by logical_port
	ls, lr   map[string]string // NB switch and router UUIDs by name
	setup    time.Duration
}

func (s *stage) stop() {
	for _, c := range []*db{s.nbc, s.sbc} {
		if c != nil {
			c.Close()
		}
	}
	if s.northd != nil {
		s.northd.Stop()
	}
	for _, sv := range []*benchkit.Server{s.nb, s.sb} {
		if sv != nil {
			sv.Stop()
		}
	}
}

// newStage: servers; the NB loaded (fixtures' batched writer, then the
// spares and the extra switches in raw transactions); dvr-northd; the 50
// remote chassis and the chassis under test registered by raw SB writes
// (the rows dvr-chassis writes, chassis/register.go); every port bound
// (raw DVR_Port_Claim inserts, up on the remote ones); northd settled
// (SB_Global.nb_cfg caught up with a bump made after all of it).
func newStage(ctx context.Context, cfg config, p plan, localIP string) (*stage, error) {
	t0 := time.Now()
	s := &stage{plan: p}
	var err error
	if s.nb, err = benchkit.StartServer(schema.NB, false); err != nil {
		return s, err
	}
	if s.sb, err = benchkit.StartServer(schema.SB, false); err != nil {
		return s, err
	}
	if err := fixtures.LoadNB(ctx, s.nb.Endpoint(), p.topo, 0); err != nil {
		return s, err
	}
	if s.nbc, err = benchkit.Dial(ctx, s.nb.Endpoint(), nbDB); err != nil {
		return s, err
	}
	if s.sbc, err = benchkit.Dial(ctx, s.sb.Endpoint(), sbDB); err != nil {
		return s, err
	}
	if s.ls, err = s.nbc.ByName(ctx, "Logical_Switch", "name"); err != nil {
		return s, err
	}
	if s.lr, err = s.nbc.ByName(ctx, "Logical_Router", "name"); err != nil {
		return s, err
	}
	if err := s.loadExtras(ctx); err != nil {
		return s, err
	}
	dir, err := benchkit.TempDir("dvrc")
	if err != nil {
		return s, err
	}
	log, err := os.Create(filepath.Join(dir, "dvr-northd.log"))
	if err != nil {
		return s, err
	}
	cmd := exec.Command(cfg.dvrNorthd, "--nb="+s.nb.Endpoint(), "--sb="+s.sb.Endpoint(), "--log-level=info")
	cmd.Stdout, cmd.Stderr = log, log
	if s.northd, err = benchkit.StartChild("dvr-northd", cmd); err != nil {
		return s, err
	}
	if err := s.registerChassis(ctx, localIP); err != nil {
		return s, err
	}
	if err := s.settle(ctx, "the first SB"); err != nil {
		return s, err
	}
	if err := s.bindAll(ctx); err != nil {
		return s, err
	}
	if err := s.settle(ctx, "the bindings"); err != nil {
		return s, err
	}
	s.setup = time.Since(t0)
	return s, nil
}

// loadExtras adds the spare VM ports to their switches and the extra
// switches (ports, no router interface) to the NB.
func (s *stage) loadExtras(ctx context.Context) error {
	var ops []ovsdb.Operation
	for i, sp := range append(append([]spare(nil), s.spareLocal...), s.spareRemote...) {
		n := fmt.Sprintf("sp%d", i)
		ops = append(ops, benchkit.Insert("Logical_Switch_Port", n, ovsdb.Row{"name": sp.port.Name, "addresses": benchkit.Set(sp.port.Addresses())}),
			benchkit.AddRef("Logical_Switch", s.ls[sp.sw], "ports", benchkit.Named(n)))
	}
	for i, e := range s.extra {
		var refs []any
		for k, p := range e.ports {
			n := fmt.Sprintf("x%d_%d", i, k)
			ops = append(ops, benchkit.Insert("Logical_Switch_Port", n, ovsdb.Row{"name": p.Name, "addresses": benchkit.Set(p.Addresses())}))
			refs = append(refs, benchkit.Named(n))
		}
		ops = append(ops, benchkit.Insert("Logical_Switch", "", ovsdb.Row{"name": e.sw, "ports": benchkit.Set(refs...)}))
	}
	if _, err := s.nbc.Transact(ctx, ops...); err != nil {
		return fmt.Errorf("NB extras: %w", err)
	}
	var err error
	s.ls, err = s.nbc.ByName(ctx, "Logical_Switch", "name")
	return err
}

// registerChassis writes Chassis, a vxlan Encap and Chassis_Private for
// each remote chassis and for the chassis under test, as dvr-chassis
// registers itself (so that its start rewrites nothing).
func (s *stage) registerChassis(ctx context.Context, localIP string) error {
	var ops []ovsdb.Operation
	add := func(name, hostname, ip string) {
		e, c := "e_"+sanitize(name), "c_"+sanitize(name)
		ops = append(ops,
			benchkit.Insert("Encap", e, ovsdb.Row{"type": "vxlan", "ip": ip, "chassis_name": name}),
			benchkit.Insert("Chassis", c, ovsdb.Row{"name": name, "hostname": hostname, "encaps": benchkit.Set(benchkit.Named(e)),
				"other_config": benchkit.OMap("datapath-type", "netdev")}),
			benchkit.Insert("Chassis_Private", "", ovsdb.Row{"name": name, "chassis": benchkit.Named(c)}))
	}
	add(localName, localName, localIP)
	for i := 0; i < s.remotes; i++ {
		add(remoteName(i), remoteName(i), fmt.Sprintf("192.0.2.%d", i+2))
	}
	if _, err := s.sbc.Transact(ctx, ops...); err != nil {
		return fmt.Errorf("registering chassis: %w", err)
	}
	var err error
	s.chassis, err = s.sbc.ByName(ctx, "Chassis", "name")
	return err
}

func sanitize(n string) string {
	b := []byte(n)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	return string(b)
}

// bindAll binds every topology port and every extra switch's port: one
// transaction per chassis, as the chassis would claim them. Remote ports
// are up; the local ones wait for dvr-chassis to install their flows.
func (s *stage) bindAll(ctx context.Context) error {
	var err error
	if s.pbs, err = s.sbc.ByName(ctx, "Port_Binding", "logical_port"); err != nil {
		return err
	}
	per := map[string][]string{}
	for port, ch := range s.chassisOf {
		per[ch] = append(per[ch], port)
	}
	for _, e := range s.extra {
		for _, p := range e.ports {
			per[p.Chassis] = append(per[p.Chassis], p.Name)
		}
	}
	names := make([]string, 0, len(per))
	for ch := range per {
		names = append(names, ch)
	}
	sort.Strings(names)
	for _, ch := range names {
		var ops []ovsdb.Operation
		for _, port := range per[ch] {
			if s.pbs[port] == "" {
				return fmt.Errorf("no Port_Binding for %s", port)
			}
			ops = append(ops, benchkit.Claim(port, ch, ch != localName))
		}
		if _, err := s.sbc.Transact(ctx, ops...); err != nil {
			return fmt.Errorf("binding the ports of %s: %w", ch, err)
		}
	}
	return nil
}

// settle bumps NB_Global.nb_cfg and waits until dvr-northd has copied it
// into SB_Global.nb_cfg: everything written before is in the SB.
func (s *stage) settle(ctx context.Context, what string) error {
	want, err := benchkit.BumpNbCfg(ctx, s.nbc)
	if err != nil {
		return err
	}
	return benchkit.WaitFor("dvr-northd settling "+what, 50*time.Millisecond, 10*time.Minute, func() (bool, error) {
		rows, err := s.sbc.Select(ctx, "SB_Global", []string{"nb_cfg"})
		return err == nil && len(rows) == 1 && benchkit.ToInt(rows[0]["nb_cfg"]) >= want, err
	})
}

// sbNbCfg is SB_Global.nb_cfg.
func (s *stage) sbNbCfg(ctx context.Context) (int, error) {
	rows, err := s.sbc.Select(ctx, "SB_Global", []string{"nb_cfg"})
	if err != nil || len(rows) != 1 {
		return 0, fmt.Errorf("SB_Global: %v", err)
	}
	return benchkit.ToInt(rows[0]["nb_cfg"]), nil
}
