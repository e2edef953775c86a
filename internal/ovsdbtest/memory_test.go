package ovsdbtest

import (
	"context"
	"reflect"
	"testing"
	"time"
	"unsafe"

	"github.com/go-logr/logr"
	"github.com/go-logr/stdr"
	"github.com/ovn-org/libovsdb/client"
	"github.com/ovn-org/libovsdb/model"

	"github.com/dvr-ovn/dvr/internal/nbdb"
	"github.com/dvr-ovn/dvr/internal/sbdb"
)

func TestMemoryVerbosityIsCountered(t *testing.T) {
	// server's init sets 5; ours must have put it back to 0.
	if old := stdr.SetVerbosity(0); old != 0 {
		t.Fatalf("global stdr verbosity is %d, want 0", old)
	}
}

func TestMemoryNBSeedWithNamedUUIDs(t *testing.T) {
	ms := StartMemoryNB(t,
		&nbdb.LogicalSwitch{UUID: "sw", Name: "sw1", Ports: []string{"p1", "p2"}},
		&nbdb.LogicalSwitchPort{UUID: "p1", Name: "vm1", Addresses: []string{"fa:16:3e:00:00:01 10.0.0.5"}},
		&nbdb.LogicalSwitchPort{UUID: "p2", Name: "vm2"},
	)
	c := NBClient(t, ms.Endpoint(), MonitorAll())
	var switches []nbdb.LogicalSwitch
	if err := c.List(context.Background(), &switches); err != nil {
		t.Fatal(err)
	}
	if len(switches) != 1 || switches[0].Name != "sw1" || len(switches[0].Ports) != 2 {
		t.Fatalf("switches: %+v", switches)
	}
	for _, uuid := range switches[0].Ports {
		p := &nbdb.LogicalSwitchPort{UUID: uuid}
		if err := c.Get(context.Background(), p); err != nil {
			t.Fatalf("port %s referenced by sw1 not found: %v", uuid, err)
		}
		if p.Name != "vm1" && p.Name != "vm2" {
			t.Fatalf("unexpected port %+v", p)
		}
	}
}

func TestMemorySBEnforcesIndexes(t *testing.T) {
	ms := StartMemorySB(t, &sbdb.DVRMACBinding{ChassisName: "hv1", MAC: "fa:16:3f:00:00:01"})
	c := SBClient(t, ms.Endpoint())
	err := transact(c, &sbdb.DVRMACBinding{ChassisName: "hv2", MAC: "fa:16:3f:00:00:01"})
	if err == nil {
		t.Fatal("duplicate DVR MAC accepted by the in-memory server")
	}
}

func TestMemoryStopsAtCleanup(t *testing.T) {
	var ms *MemoryServer
	t.Run("inner", func(t *testing.T) { ms = StartMemorySB(t) })
	select {
	case <-ms.done:
	case <-time.After(time.Second):
		t.Fatal("Serve still running after cleanup")
	}
	if err := waitSocket(ms.Socket, 50*time.Millisecond); err == nil {
		t.Fatal("socket still accepts connections after cleanup")
	}
}

func TestClientAgainstRealServerOverSSL(t *testing.T) {
	s := StartSB(t, WithSSL())
	c := SBClient(t, s.SSLEndpoint(), WithClientTLS(s.PKI), MonitorAll())
	if err := transact(c, &sbdb.DVRMACBinding{ChassisName: "hv1", MAC: "fa:16:3f:00:00:01"}); err != nil {
		t.Fatal(err)
	}
	// The unix endpoint sees the same row.
	u := SBClient(t, s.Endpoint(), MonitorAll())
	var rows []sbdb.DVRMACBinding
	if err := u.List(context.Background(), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].ChassisName != "hv1" {
		t.Fatalf("rows: %+v", rows)
	}
}

func TestClientLeaderOnlyOnCluster(t *testing.T) {
	s := StartNB(t, Clustered(3))
	c := NBClient(t, s.Endpoint(), LeaderOnly(), MonitorAll())
	if err := transact(c, &nbdb.LogicalSwitch{Name: "sw1"}); err != nil {
		t.Fatal(err)
	}
}

// transact inserts rows in one transaction and returns the first error.
func transact(c client.Client, rows ...model.Model) error {
	ops, err := c.Create(rows...)
	if err != nil {
		return err
	}
	res, err := c.Transact(context.Background(), ops...)
	if err != nil {
		return err
	}
	return opError(res, ops)
}

func TestMemoryServerLoggerIsReplaced(t *testing.T) {
	ms := StartMemorySB(t)
	f := reflect.ValueOf(ms.srv).Elem().FieldByName("logger")
	l := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface().(logr.Logger)
	if l.GetSink() != logr.Discard().GetSink() {
		t.Fatalf("server logger is %T, want the discarding one", l.GetSink())
	}
}
