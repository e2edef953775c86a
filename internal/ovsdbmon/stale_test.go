package ovsdbmon

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/dvr-ovn/dvr/internal/ovsdbconn"
	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
	"github.com/dvr-ovn/dvr/internal/sbdb"
)

// logBuf collects a monitor's log lines for the test to wait on.
type logBuf struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuf) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *logBuf) String() string              { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// A member that was down while a row was written, started again while
// the rest of its cluster is down, serves its old data (without the row)
// and is not connected to any majority. When the monitor's member goes,
// the monitor must not take that member's view: its reader would see the
// row vanish (dvr-northd would then "repair" SB from a view older than
// one it already acted on). It waits instead, and once the cluster is
// back takes a member that has the row.
func TestStaleMemberRefused(t *testing.T) {
	t.Parallel()
	s := ovsdbtest.StartSB(t, ovsdbtest.Clustered(3))
	m0, m1, m2 := s.Members[0], s.Members[1], s.Members[2]
	s.StopMember(m2)
	ovsdbtest.Transact(t, s.RunningEndpoint(), "OVN_Southbound",
		map[string]any{"op": "insert", "table": "SB_Global", "row": map[string]any{"nb_cfg": 7}})

	m, err := sbdb.FullDatabaseModel()
	if err != nil {
		t.Fatal(err)
	}
	var lb logBuf
	l := logrus.New()
	l.SetOutput(&lb)
	mon := New(Config{Conn: ovsdbconn.Config{Endpoints: s.Endpoint()}, Model: m, Tables: sbGlobalOnly,
		Log: logrus.NewEntry(l), Echo: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { mon.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	// nbCfg is the monitored nb_cfg (-1: no row, -2: no client).
	nbCfg := func() int {
		c, _ := mon.Get()
		if c == nil {
			return -2
		}
		var gs []sbdb.SBGlobal
		if err := c.List(context.Background(), &gs); err != nil || len(gs) == 0 {
			return -1
		}
		return gs[0].NbCfg
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
			if cond() {
				return
			}
		}
		t.Fatalf("timed out waiting for %s; log:\n%s", what, lb.String())
	}
	waitFor("the row in the monitor", func() bool { return nbCfg() == 7 })

	s.StopMember(m0)
	s.StopMember(m1)
	if err := s.RestartMember(m2); err != nil {
		t.Fatal(err)
	}
	// Until the monitor has tried m2 and refused it, no view may lack
	// the row.
	waitFor("m2 refused", func() bool {
		if n := nbCfg(); n == -1 {
			t.Fatalf("the monitor took a view without the row (from the stale m2); log:\n%s", lb.String())
		}
		return strings.Contains(lb.String(), "unix:"+m2.Socket+" is not connected to its cluster") ||
			strings.Contains(lb.String(), "unix:"+m2.Socket+" is behind")
	})
	for _, x := range []*ovsdbtest.Member{m0, m1} {
		if err := s.RestartMember(x); err != nil {
			t.Fatal(err)
		}
	}
	waitFor("the row again, from a caught-up member", func() bool {
		n := nbCfg()
		if n == -1 {
			t.Fatalf("the monitor took a view without the row; log:\n%s", lb.String())
		}
		return n == 7
	})
}
