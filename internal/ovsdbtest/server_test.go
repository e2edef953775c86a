package ovsdbtest

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestStandaloneStartStop(t *testing.T) {
	s := StartNB(t)
	out, err := exec.Command("ovsdb-client", "list-dbs", s.Endpoint()).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OVN_Northbound") {
		t.Fatalf("list-dbs: %v %s", err, out)
	}
	pid := s.Members[0].Pid()
	s.Stop()
	if err := syscall.Kill(pid, 0); err == nil {
		t.Fatalf("pid %d still alive after Stop", pid)
	}
	if _, err := os.Stat(s.Dir); !os.IsNotExist(err) {
		t.Fatalf("dir %s not removed", s.Dir)
	}
}

func TestClusterOf3HasLeader(t *testing.T) {
	s := StartSB(t, Clustered(3))
	if s.Leader() == nil {
		t.Fatal("no leader")
	}
	if got := len(strings.Split(s.Endpoint(), ",")); got != 3 {
		t.Fatalf("endpoint %q", s.Endpoint())
	}
	out, err := exec.Command("ovsdb-client", "list-dbs", "unix:"+s.Members[2].Socket).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OVN_Southbound") {
		t.Fatalf("list-dbs on member 2: %v %s", err, out)
	}
}

func TestSSLRemote(t *testing.T) {
	s := StartNB(t, WithSSL())
	out, err := exec.Command("ovsdb-client", "-p", s.PKI.ClientKey, "-c", s.PKI.ClientCert, "-C", s.PKI.CACert,
		"list-dbs", s.SSLEndpoint()).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OVN_Northbound") {
		t.Fatalf("list-dbs over ssl: %v %s", err, out)
	}
}

// A 3-member cluster with SSL: the RAFT links are SSL too, every member
// serves SSL clients, a certificate Sign makes (CN = a chassis name) is
// accepted, and after the leader is killed -9 the other two elect one.
func TestSSLClusterAndKillLeader(t *testing.T) {
	s := StartSB(t, Clustered(3), WithSSL())
	for _, m := range s.Members {
		if !strings.HasPrefix(m.RaftAddr, "ssl:") {
			t.Errorf("member %d RAFT address %s: want ssl:", m.Index, m.RaftAddr)
		}
	}
	hv1, err := s.PKI.Sign("hv1")
	if err != nil {
		t.Fatal(err)
	}
	for _, ep := range strings.Split(s.SSLEndpoint(), ",") {
		out, err := exec.Command("ovsdb-client", "-p", hv1.Key, "-c", hv1.Cert, "-C", s.PKI.CACert, "list-dbs", ep).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "OVN_Southbound") {
			t.Fatalf("list-dbs over ssl at %s: %v %s", ep, err, out)
		}
	}
	old := s.Leader()
	if old == nil {
		t.Fatal("no leader")
	}
	s.KillMember(old)
	if old.Running() || strings.Contains(s.RunningEndpoint(), old.Socket) {
		t.Fatalf("member %d still listed as running", old.Index)
	}
	if err := s.WaitLeader(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	if l := s.Leader(); l == nil || l == old {
		t.Fatalf("leader after the kill: %v", l)
	}
	if err := s.RestartMember(old); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitLeader(20 * time.Second); err != nil {
		t.Fatal(err)
	}
}
