package hvtest_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/internal/hvtest"
)

// leftovers lists what of a finished run is still on the machine: its
// processes (by pid), its names (netns names and run dirs: on disk, or in
// any mount namespace's mounts, the holder's /run/netns tmpfs included: it
// is named after the netns) and its network namespaces, each proven gone
// by a canary: a veth whose one end is in the test's own netns and whose
// peer is in that namespace. The kernel deletes a namespace's veths when
// the namespace goes, and a veth pair dies whole, so the host end lives
// exactly as long as the namespace, whoever holds it. (Namespace inode
// numbers are no proof: the kernel reuses them, and parallel tests make
// namespaces all the time.)
type leftovers struct {
	pids     map[int]string // pid -> name
	names    []string
	canaries map[string]string // host end -> namespace
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
	for c, ns := range l.canaries {
		if _, err := net.InterfaceByName(c); err == nil {
			bad = append(bad, fmt.Sprintf("network namespace %s still exists (its canary %s does)", ns, c))
		}
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		mi, err := os.ReadFile(p + "/mountinfo")
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(mi), "\n") {
			for _, s := range l.names {
				if strings.Contains(line, filepath.Base(s)) {
					bad = append(bad, fmt.Sprintf("%s still has a mount of %s: %s", p, s, line))
				}
			}
		}
	}
	return bad
}

func canaryName() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return "hc" + hex.EncodeToString(b) // 12 characters: a valid link name
}

// After a test, nothing of its hypervisors is left: no process, no network
// namespace (theirs or the router namespaces made inside them), no mount,
// no directory.
func TestCleanupLeavesNothing(t *testing.T) {
	t.Parallel()
	l := &leftovers{pids: map[int]string{}, canaries: map[string]string{}}
	t.Cleanup(func() { // only if the test failed: a canary whose namespace lived on
		for c := range l.canaries {
			_ = exec.Command("ip", "link", "del", c).Run()
		}
	})
	t.Run("run", func(t *testing.T) {
		sw, hvs := hvtest.Network(t, 2)
		all := append([]*hvtest.HV{sw.HV}, hvs...)
		ino := map[string]string{}
		for _, hv := range all {
			for _, p := range []*hvtest.Proc{hv.Holder, hv.DB, hv.Vswitchd} {
				l.pids[p.Pid()] = hv.Name + " " + p.Name
			}
			l.names = append(l.names, "/run/netns/"+hv.NetNS, hv.RunDir())
			c := canaryName()
			if out, err := exec.Command("ip", "link", "add", c, "type", "veth", "peer", "name", "canary", "netns", hv.NetNS).CombinedOutput(); err != nil {
				t.Fatalf("canary for %s: %v: %s", hv.NetNS, err, out)
			}
			l.canaries[c] = hv.NetNS
			st, err := os.Stat("/run/netns/" + hv.NetNS)
			if err != nil {
				t.Fatal(err)
			}
			ino[hv.Name] = fmt.Sprintf("net:[%d]", st.Sys().(*syscall.Stat_t).Ino)
		}
		hv := hvs[0]
		hv.MustVsctl("add-br", "br-int", "--", "set", "Bridge", "br-int", "datapath_type=netdev")
		hv.AddVMPort("vm1", "lsp1", "fa:16:3e:00:00:01")
		c := canaryName()
		hv.MustExec("sh", "-c", fmt.Sprintf("ip netns add qrouter-x && ip link add v-x type veth peer name qr-x netns qrouter-x && "+
			"ip link add %s type veth peer name canary netns qrouter-x && ip link set %s netns %d", c, c, os.Getpid()))
		l.canaries[c] = hv.Name + "'s qrouter-x"
		p := hv.Spawn("sleep", "600")
		l.pids[p.Pid()] = "spawned sleep"
		// No holder keeps another hypervisor's namespace alive through
		// the bind mounts it inherited from the host's /run/netns (while
		// all of them live, their inode numbers are theirs alone).
		for _, h := range all {
			mi, _ := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", h.HolderPid()))
			for name, i := range ino {
				if strings.Contains(string(mi), i) {
					t.Errorf("%s's holder holds a mount of %s's netns %s:\n%s", h.Name, name, i, mi)
				}
			}
		}
		// The detector sees all of it while it runs.
		if bad := l.problems(); len(bad) < len(l.pids)+len(l.names)+len(l.canaries) {
			t.Errorf("leftover check finds only %d things in a live run:\n%s", len(bad), strings.Join(bad, "\n"))
		}
	})
	if len(l.pids) != 10 || len(l.canaries) != 4 {
		t.Fatalf("run recorded %d processes and %d namespaces, want 10 and 4", len(l.pids), len(l.canaries))
	}
	// The kernel frees a namespace asynchronously.
	var bad []string
	waitFor(10*time.Second, func() bool { bad = l.problems(); return len(bad) == 0 })
	for _, b := range bad {
		t.Error(b)
	}
}
