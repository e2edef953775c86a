package hvtest_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/dvr-ovn/dvr/internal/hvtest"
)

// leftovers lists what of a finished run is still on the machine: the
// processes (by pid), the network namespaces (by name in the host's
// /run/netns, and by inode in any process's namespaces or any mount
// namespace's mounts, the holder's /run/netns tmpfs included: it is named
// after the netns) and the run directories (on disk and in any mount).
type leftovers struct {
	pids   map[int]string // pid -> name
	names  []string       // netns names and run dirs
	nsInos []string       // "net:[<inode>]"
}

func (l *leftovers) problems() []string {
	var bad []string
	for pid, name := range l.pids {
		if err := syscall.Kill(pid, 0); err == nil {
			cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			bad = append(bad, fmt.Sprintf("%s (pid %d) still runs: %q", name, pid, strings.ReplaceAll(string(cmd), "\x00", " ")))
		}
	}
	for _, n := range l.names {
		if _, err := os.Stat(n); err == nil {
			bad = append(bad, fmt.Sprintf("%s still exists", n))
		}
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		if link, err := os.Readlink(p + "/ns/net"); err == nil {
			for _, ino := range l.nsInos {
				if link == ino {
					bad = append(bad, fmt.Sprintf("%s is still in network namespace %s", p, ino))
				}
			}
		}
		mi, err := os.ReadFile(p + "/mountinfo")
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(mi), "\n") {
			for _, s := range append(append([]string{}, l.nsInos...), l.names...) {
				if strings.Contains(line, filepath.Base(s)) {
					bad = append(bad, fmt.Sprintf("%s still has a mount of %s: %s", p, s, line))
				}
			}
		}
	}
	return bad
}

func nsInode(t *testing.T, hv *hvtest.HV, path string) string {
	t.Helper()
	return "net:[" + strings.TrimSpace(hv.MustExec("stat", "-L", "-c", "%i", path)) + "]"
}

// After a test, nothing of its hypervisors is left: no process, no network
// namespace (theirs or the router namespaces made inside them), no mount,
// no directory.
func TestCleanupLeavesNothing(t *testing.T) {
	t.Parallel()
	l := &leftovers{pids: map[int]string{}}
	t.Run("run", func(t *testing.T) {
		sw, hvs := hvtest.Network(t, 2)
		for _, hv := range append([]*hvtest.HV{sw.HV}, hvs...) {
			for _, p := range []*hvtest.Proc{hv.Holder, hv.DB, hv.Vswitchd} {
				l.pids[p.Pid()] = hv.Name + " " + p.Name
			}
			l.names = append(l.names, "/run/netns/"+hv.NetNS, hv.RunDir())
			st, err := os.Stat("/run/netns/" + hv.NetNS)
			if err != nil {
				t.Fatal(err)
			}
			l.nsInos = append(l.nsInos, fmt.Sprintf("net:[%d]", st.Sys().(*syscall.Stat_t).Ino))
		}
		hv := hvs[0]
		hv.MustVsctl("add-br", "br-int", "--", "set", "Bridge", "br-int", "datapath_type=netdev")
		hv.AddVMPort("vm1", "lsp1", "fa:16:3e:00:00:01")
		hv.MustExec("sh", "-c", "ip netns add qrouter-x && ip link add v-x type veth peer name qr-x netns qrouter-x")
		l.nsInos = append(l.nsInos, nsInode(t, hv, "/run/netns/qrouter-x"))
		p := hv.Spawn("sleep", "600")
		l.pids[p.Pid()] = "spawned sleep"
		// No holder keeps another hypervisor's namespace alive through
		// the bind mounts it inherited from the host's /run/netns.
		for _, h := range append([]*hvtest.HV{sw.HV}, hvs...) {
			mi, _ := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", h.HolderPid()))
			for _, ino := range l.nsInos[:3] {
				if strings.Contains(string(mi), ino) {
					t.Errorf("%s's holder holds a mount of %s:\n%s", h.Name, ino, mi)
				}
			}
		}
		// The detector sees all of it while it runs.
		if bad := l.problems(); len(bad) < len(l.pids)+len(l.names) {
			t.Errorf("leftover check finds only %d things in a live run:\n%s", len(bad), strings.Join(bad, "\n"))
		}
	})
	if len(l.pids) != 10 || len(l.nsInos) != 4 {
		t.Fatalf("run recorded %d processes and %d namespaces, want 10 and 4", len(l.pids), len(l.nsInos))
	}
	for _, b := range l.problems() {
		t.Error(b)
	}
}
