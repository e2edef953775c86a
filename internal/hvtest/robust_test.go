package hvtest_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/internal/hvtest"
)

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// Pdeathsig fires when the thread that started a child exits. A thread
// exits when a goroutine that locked it returns still locked (as code
// creating namespaces with netns.NewNamed does). Children the harness
// starts survive that; a child started from such a thread does not.
// Several goroutines hold their threads at once, so they are on distinct
// threads, and at most one on the main thread, which the runtime never
// ends.
func TestChildrenSurviveAnExitingLockedThread(t *testing.T) {
	t.Parallel()
	hv := hvtest.Start(t, "hv")
	const n = 4
	type pair struct{ spawned, naive int }
	pairs := make(chan pair, n)
	var locked, release sync.WaitGroup
	locked.Add(n)
	release.Add(1)
	for i := 0; i < n; i++ {
		go func() {
			runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
			locked.Done()
			release.Wait()
			p := hv.Spawn("sleep", "60")
			naive := exec.Command("sleep", "60")
			naive.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
			if err := naive.Start(); err != nil {
				t.Error(err)
				pairs <- pair{p.Pid(), 0}
				return
			}
			go func() { _ = naive.Wait() }()
			pairs <- pair{p.Pid(), naive.Process.Pid}
		}()
	}
	locked.Wait()
	release.Done()
	var ps []pair
	for i := 0; i < n; i++ {
		ps = append(ps, <-pairs)
	}
	died := 0
	for _, p := range ps {
		if p.naive != 0 && waitFor(3*time.Second, func() bool { return !alive(p.naive) }) {
			died++
		} else if p.naive != 0 {
			_ = syscall.Kill(p.naive, syscall.SIGKILL) // it ran on the main thread
		}
	}
	if died == 0 {
		t.Errorf("no naive child died with its thread: this check proves nothing here")
	}
	time.Sleep(200 * time.Millisecond)
	for _, p := range ps {
		if !alive(p.spawned) {
			t.Errorf("spawned child (pid %d) died with the thread of the goroutine that spawned it", p.spawned)
		}
	}
	t.Logf("%d of %d children started naively died with their threads; every spawned one lives", died, n)
}

// A test binary killed by -timeout runs no cleanup: its daemons die by
// Pdeathsig, and the next Start sweeps the namespace and run directory it
// left (hvt<pid> of a pid that no longer runs).
func TestKilledTestBinaryLeavesNothingRunning(t *testing.T) {
	if os.Getenv("HVTEST_HELPER") == "hang" {
		hv := hvtest.Start(t, "orphan")
		p := hv.Spawn("sleep", "600")
		fmt.Printf("HVTEST %s %s %d %d %d %d\n", hv.NetNS, hv.RunDir(), hv.Holder.Pid(), hv.DB.Pid(), hv.Vswitchd.Pid(), p.Pid())
		time.Sleep(time.Minute) // until -test.timeout panics
		return
	}
	t.Parallel()
	hvtest.Require(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledTestBinaryLeavesNothingRunning$", "-test.timeout=5s")
	cmd.Env = append(os.Environ(), "HVTEST_HELPER=hang")
	// No Pdeathsig: started from this goroutine's thread, the helper would
	// die whenever a parallel test ends a locked thread that this
	// goroutine had run on (the pitfall TestChildrenSurviveAnExitingLockedThread
	// shows). Its own -test.timeout ends it.
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var ns, dir string
	var pids [4]int
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "HVTEST ") {
			fmt.Sscan(strings.TrimPrefix(sc.Text(), "HVTEST "), &ns, &dir, &pids[0], &pids[1], &pids[2], &pids[3])
			break
		}
	}
	go func() {
		for sc.Scan() {
		}
	}()
	_ = cmd.Wait()
	if ns == "" {
		t.Fatalf("helper test binary printed no hypervisor (%v): %s", cmd.ProcessState, stderr.String())
	}
	for i, pid := range pids {
		if !waitFor(5*time.Second, func() bool { return !alive(pid) }) {
			t.Errorf("%s (pid %d) outlived the killed test binary", []string{"holder", "ovsdb-server", "ovs-vswitchd", "spawned"}[i], pid)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if _, err := os.Stat("/run/netns/" + ns); err != nil {
		t.Logf("the killed binary's netns %s is gone already (a parallel test's Start swept it): %v", ns, err)
	}
	hvtest.Start(t, "sweeper")
	for _, p := range []string{"/run/netns/" + ns, dir} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s not swept: %v", p, err)
		}
	}
}
