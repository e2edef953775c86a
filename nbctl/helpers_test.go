package nbctl

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
)

// nb is a real NB ovsdb-server for one test, with helpers to run chains.
type nb struct {
	t  *testing.T
	s  *ovsdbtest.Server
	db string
	// rep, when set, answers the reads (daemon mode: RunReplica).
	rep *Replica
}

func startNB(t *testing.T, opts ...ovsdbtest.Option) *nb {
	t.Helper()
	s := ovsdbtest.StartNB(t, opts...)
	n := &nb{t: t, s: s, db: s.Endpoint()}
	if os.Getenv("NBCTL_TEST_REPLICA") != "" {
		n.daemon()
	}
	return n
}

// daemon makes n run its chains as the daemon does, through a replica.
func (n *nb) daemon() *Replica {
	n.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	n.t.Cleanup(cancel)
	r := NewReplica(Options{DB: n.db})
	r.Log = n.t.Logf
	if err := r.Connect(ctx); err != nil {
		n.t.Fatal(err)
	}
	n.rep = r
	return r
}

// run executes a command line (global options and chain) in process.
func (n *nb) run(args ...string) (string, error) {
	n.t.Helper()
	return runRep(n.t, Options{DB: n.db}, n.rep, args...)
}

func runWith(t *testing.T, o Options, args ...string) (string, error) {
	t.Helper()
	return runRep(t, o, nil, args...)
}

func runRep(t *testing.T, o Options, rep *Replica, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out bytes.Buffer
	o.Stdout = &out
	globals, chain := SplitGlobal(args)
	for i := 0; i < len(globals); i++ {
		g := globals[i]
		val := func() string {
			if _, v, ok := strings.Cut(g, "="); ok {
				return v
			}
			i++
			return globals[i]
		}
		switch {
		case strings.HasPrefix(g, "--wait"):
			o.Wait = val()
		case strings.HasPrefix(g, "--format"), strings.HasPrefix(g, "-f"):
			o.Format = val()
		case strings.HasPrefix(g, "--timeout"), strings.HasPrefix(g, "-t"):
			d, err := time.ParseDuration(val() + "s")
			if err != nil {
				t.Fatal(err)
			}
			o.Timeout = d
		default:
			t.Fatalf("test helper does not know option %q", g)
		}
	}
	var err error
	if rep != nil {
		err = RunReplica(ctx, o, chain, rep)
	} else {
		err = Run(ctx, o, chain)
	}
	return out.String(), err
}

// must runs and fails the test on error.
func (n *nb) must(args ...string) string {
	n.t.Helper()
	out, err := n.run(args...)
	if err != nil {
		n.t.Fatalf("%v: %v", args, err)
	}
	return out
}

// dump is the whole NB as ovsdb-client prints it: equal dumps mean
// nothing was written.
func (n *nb) dump() string {
	n.t.Helper()
	var b strings.Builder
	for _, m := range n.s.Members {
		out, err := exec.Command("ovsdb-client", "dump", "unix:"+m.Socket, "OVN_Northbound").CombinedOutput()
		if err == nil {
			b.Write(out)
			return b.String()
		}
	}
	n.t.Fatal("ovsdb-client dump failed on every member")
	return ""
}

// seed loads the seed topology: r1 with sw1 10.0.1.0/24 and sw2
// 10.0.2.0/24, vm11, vm12 on sw1 and vm21, vm22 on sw2.
func (n *nb) seed() {
	n.t.Helper()
	n.must("init")
	n.must("lr-add", "r1", "--", "ls-add", "sw1", "--", "ls-add", "sw2",
		"--", "lr-attach", "r1", "sw1", "r1-sw1", "fa:16:3e:00:ff:01", "10.0.1.1/24",
		"--", "lr-attach", "r1", "sw2", "r1-sw2", "fa:16:3e:00:ff:02", "10.0.2.1/24",
		"--", "lsp-add", "sw1", "vm11", "--", "lsp-set-addresses", "vm11", "fa:16:3e:00:01:0b 10.0.1.11",
		"--", "lsp-add", "sw1", "vm12", "--", "lsp-set-addresses", "vm12", "fa:16:3e:00:01:0c 10.0.1.12",
		"--", "lsp-add", "sw2", "vm21", "--", "lsp-set-addresses", "vm21", "fa:16:3e:00:02:0b 10.0.2.11",
		"--", "lsp-add", "sw2", "vm22", "--", "lsp-set-addresses", "vm22", "fa:16:3e:00:02:0c 10.0.2.12")
}

func startBenchNB(b *testing.B) string {
	b.Helper()
	return ovsdbtest.StartNB(b).Endpoint()
}
