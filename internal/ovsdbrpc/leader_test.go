package ovsdbrpc_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ovn-org/libovsdb/ovsdb"

	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
)

func TestTransactAndLeader(t *testing.T) {
	s := ovsdbtest.StartNB(t, ovsdbtest.Clustered(3))
	ctx := context.Background()
	eps, err := ovsdbrpc.ParseEndpoints(s.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	c, err := ovsdbrpc.DialLeader(ctx, eps, "OVN_Northbound", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.Endpoint != "unix:"+s.Leader().Socket {
		t.Fatalf("dialed %s, leader is %s", c.Endpoint, s.Leader().Socket)
	}
	// "No switch is named x": a wait with empty rows succeeds.
	res, err := c.Transact(ctx, "OVN_Northbound", ovsdb.Operation{Op: "wait", Table: "Logical_Switch", Until: "==", Timeout: new(int),
		Where: []ovsdb.Condition{ovsdb.NewCondition("name", ovsdb.ConditionEqual, "x")}, Columns: []string{"name"}})
	if err != nil || len(res) != 1 || res[0].Error != "" {
		t.Fatalf("wait: %v %v", res, err)
	}
	if err := c.Echo(ctx, 5e9); err != nil {
		t.Fatal(err)
	}
	// A follower alone is refused.
	for _, m := range s.Members {
		if m == s.Leader() {
			continue
		}
		if _, err := ovsdbrpc.DialLeader(ctx, []string{"unix:" + m.Socket}, "OVN_Northbound", nil, nil); err == nil || !strings.Contains(err.Error(), "leader") {
			t.Fatalf("follower accepted: %v", err)
		}
		break
	}
}

// Right after the leader is killed -9 the other members still name it
// (or nobody) as leader until they elect one: DialLeaderWait rides that
// out and returns a session to the new leader; with every member down it
// fails at once instead of waiting.
func TestDialLeaderWaitRidesOutAnElection(t *testing.T) {
	s := ovsdbtest.StartNB(t, ovsdbtest.Clustered(3))
	eps, err := ovsdbrpc.ParseEndpoints(s.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	old := s.Leader()
	s.KillMember(old)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := ovsdbrpc.DialLeaderWait(ctx, eps, "OVN_Northbound", nil, nil)
	if err != nil {
		t.Fatalf("no leader found after killing m%d: %v", old.Index, err)
	}
	defer c.Close()
	if c.Endpoint == "unix:"+old.Socket {
		t.Fatalf("dialed the killed member %s", c.Endpoint)
	}
	if ok, err := c.IsLeader(ctx, "OVN_Northbound"); err != nil || !ok {
		t.Fatalf("%s is not the leader: %v", c.Endpoint, err)
	}
	for _, m := range s.Members {
		s.KillMember(m)
	}
	_, err = ovsdbrpc.DialLeaderWait(ctx, eps, "OVN_Northbound", nil, nil)
	var de *ovsdbrpc.DialError
	if !errors.As(err, &de) || de.Electing() || ctx.Err() != nil {
		t.Fatalf("with every member down: %v (context: %v)", err, ctx.Err())
	}
}
