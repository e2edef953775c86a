package ovsdbtest

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
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
