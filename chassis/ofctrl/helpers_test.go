package ofctrl

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/dvr-ovn/dvr/chassis/flows"
	"github.com/dvr-ovn/dvr/internal/hvtest"
)

// ovs is one real ovs-vswitchd (userspace, --enable-dummy) from hvtest,
// stopped by pid at cleanup.
type ovs struct {
	t  testing.TB
	hv *hvtest.HV
}

func startOVS(t testing.TB) *ovs {
	t.Helper()
	return &ovs{t: t, hv: hvtest.Start(t, "of")}
}

// addBridge makes a netdev bridge (fail-mode secure, so that it starts
// with no flow at all) with dummy ports at the given ofports.
func (o *ovs) addBridge(name string, ports map[string]int32) {
	o.t.Helper()
	args := []string{"--", "--may-exist", "add-br", name, "--", "set", "bridge", name,
		"datapath_type=netdev", "fail-mode=secure"}
	for p, n := range ports {
		args = append(args, "--", "add-port", name, p, "--", "set", "Interface", p, "type=dummy",
			fmt.Sprintf("ofport_request=%d", n))
	}
	o.hv.MustVsctl(args...)
}

// addChassis makes br-int and br-tun with every port an Input names.
func (o *ovs) addChassis(in flows.Input) {
	o.t.Helper()
	brint := map[string]int32{in.PatchTun.Name: in.PatchTun.OfPort}
	brtun := map[string]int32{in.PatchInt.Name: in.PatchInt.OfPort}
	for _, i := range in.Interfaces {
		if i.QR.Valid() {
			brint[i.QR.Name] = i.QR.OfPort
		}
	}
	for _, p := range in.LocalPorts {
		brint[p.Port.Name] = p.Port.OfPort
	}
	for _, r := range in.Remotes {
		if r.Tunnel.Valid() {
			brtun[r.Tunnel.Name] = r.Tunnel.OfPort
		}
	}
	o.addBridge("br-int", brint)
	o.addBridge("br-tun", brtun)
}

func (o *ovs) ofctl(args ...string) string {
	o.t.Helper()
	return o.hv.MustOfctl(args...)
}

// dump is the bridge's flows as ovs-ofctl prints them, parsed.
func (o *ovs) dump(br string) []flows.Entry {
	o.t.Helper()
	// ovs-ofctl's own log lines (a slow poll warning on a loaded
	// machine) share the output: drop them.
	var keep []string
	for _, l := range strings.Split(o.ofctl("--no-names", "--no-stats", "dump-flows", br), "\n") {
		if !logLine.MatchString(l) {
			keep = append(keep, l)
		}
	}
	es, err := flows.ParseDump(strings.Join(keep, "\n"))
	if err != nil {
		o.t.Fatal(err)
	}
	return es
}

// mustMatch fails unless the bridge holds exactly want (plus, if extra,
// flows that are not ours or learned).
func (o *ovs) mustMatch(br string, want []flows.Entry) {
	o.t.Helper()
	got := o.dump(br)
	if c := flows.Diff(want, got); !c.Empty() {
		o.t.Fatalf("%s: dumped flows differ from the desired ones:\nadd %v\nmodify %v\ndelete %v\nconflicts %v",
			br, c.Add, c.Modify, c.Delete, c.Conflicts)
	}
	ours := 0
	for _, e := range got {
		if e.Cookie.Ours() && !e.Cookie.Learned() {
			ours++
		}
	}
	if ours != len(want) {
		o.t.Fatalf("%s: %d flows of ours dumped, %d desired", br, ours, len(want))
	}
}

// logLine is a line of an OVS program's log ("2026-...Z|00001|timeval|WARN|...").
var logLine = regexp.MustCompile(`^\d{4}-\d\d-\d\dT[^|]*\|\d+\|`)

// installer is a Bridge with Run going until the test ends.
type installer struct {
	*Bridge
	pokes chan struct{}
}

func (o *ovs) installer(br string) *installer {
	o.t.Helper()
	log := logrus.New()
	log.SetLevel(logrus.ErrorLevel) // reconnects are the tests' business
	in := &installer{pokes: make(chan struct{}, 16)}
	in.Bridge = New(Config{RunDir: o.hv.Dir, Bridge: br, Log: log,
		Poke: func() { in.pokes <- struct{}{} }, EchoInterval: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { in.Run(ctx); close(done) }()
	o.t.Cleanup(func() { cancel(); <-done })
	in.waitPoke(o.t)
	return in
}

// waitPoke waits for the next (re)connect.
func (in *installer) waitPoke(t testing.TB) {
	t.Helper()
	select {
	case <-in.pokes:
	case <-time.After(20 * time.Second):
		t.Fatalf("no connection to %s within 20s", in.cfg.Bridge)
	}
}

func (in *installer) sync(t testing.TB, desired []flows.Entry) Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rep, err := in.Sync(ctx, desired)
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	return rep
}

func mustNoRejection(t testing.TB, rep Report) {
	t.Helper()
	if len(rep.Rejected) > 0 {
		var b strings.Builder
		for _, r := range rep.Rejected {
			b.WriteString(r.String() + "\n")
		}
		t.Fatalf("%d flows rejected:\n%s", len(rep.Rejected), b.String())
	}
}
