package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dvr-ovn/dvr/internal/hvtest"
	"github.com/dvr-ovn/dvr/internal/ovsdbtest"
)

// make demo-down after a dvr-sandbox that died without its cleanup
// (kill -9, then its pid file removed): once booted, and half-way through
// its boot. scripts/demo-down.sh removes what the sandbox's journal names
// (its namespaces, its run directories, its processes while they are
// still the same process) and nothing else: a namespace and a directory
// with the sandbox's name prefix it did not make stay, and so does a
// live process whose pid the journal names with another start time; a
// process the journal names that still runs (a daemon that outlived the
// sandbox) is stopped.
func TestDemoDownAfterDeadSandbox(t *testing.T) {
	hvtest.Require(t)
	sb := ovsdbtest.StartSB(t)
	sandbox := ovsdbtest.Binary(t, "dvr-sandbox")
	chassis := ovsdbtest.Binary(t, "dvr-chassis")
	down, err := filepath.Abs("../../scripts/demo-down.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		// killWhen says when to kill -9 the sandbox, from its journal.
		killWhen func(run, journal string) bool
	}{
		{"booted", func(run, _ string) bool { _, err := os.Stat(statePath(run)); return err == nil }},
		{"half-booted", func(_, journal string) bool { return strings.Count(journal, "\nnetns ") >= 3 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := filepath.Join(t.TempDir(), "demo")
			if err := os.MkdirAll(run, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(run, ".dvr-demo"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			var log bytes.Buffer
			up := exec.Command(sandbox, "up", "--run", run, "--sb", sb.Endpoint(), "--chassis", chassis,
				"--pidfile", filepath.Join(run, "sandbox.pid"))
			up.Stdout, up.Stderr = &log, &log
			if err := up.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan struct{})
			go func() { _ = up.Wait(); close(exited) }()
			t.Cleanup(func() {
				_ = up.Process.Kill()
				<-exited
			})
			for end := time.Now().Add(60 * time.Second); ; time.Sleep(5 * time.Millisecond) {
				b, _ := os.ReadFile(journalPath(run))
				if tc.killWhen(run, string(b)) {
					break
				}
				select {
				case <-exited:
					t.Fatalf("dvr-sandbox up exited:\n%s", log.String())
				default:
				}
				if time.Now().After(end) {
					t.Fatalf("not there within 60 s; journal:\n%s", b)
				}
			}
			if err := up.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			<-exited
			if err := os.Remove(filepath.Join(run, "sandbox.pid")); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(journalPath(run))
			if err != nil {
				t.Fatal(err)
			}
			journal := string(b)
			tag := fmt.Sprintf("hvt%d-", up.Process.Pid)
			if !strings.HasPrefix(journal, fmt.Sprintf("sandbox %d ", up.Process.Pid)) || !strings.Contains(journal, "\nnetns "+tag) {
				t.Fatalf("journal:\n%s", journal)
			}

			// What the sandbox did not make, by its name prefix: a
			// namespace and a directory. A process it made that
			// outlived it: a sleep noted with its start time. A live
			// process whose pid the journal names with another start
			// time (a pid reused).
			decoyNS := tag + "demo-decoy"
			if out, err := exec.Command("ip", "netns", "add", decoyNS).CombinedOutput(); err != nil {
				t.Fatalf("ip netns add: %v: %s", err, out)
			}
			t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", decoyNS).Run() })
			decoyDir := filepath.Join(os.TempDir(), tag+"decoy")
			if err := os.Mkdir(decoyDir, 0o755); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(decoyDir) })
			sleep := func() *exec.Cmd {
				c := exec.Command("sleep", "300")
				if err := c.Start(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait() })
				return c
			}
			outlived, reused := sleep(), sleep()
			st, err := hvtest.StartTime(outlived.Process.Pid)
			if err != nil {
				t.Fatal(err)
			}
			stReused, _ := hvtest.StartTime(reused.Process.Pid)
			wrong, _ := strconv.Atoi(stReused)
			f, err := os.OpenFile(journalPath(run), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(f, "pid %d %s sleep\npid %d %d sleep\n", outlived.Process.Pid, st, reused.Process.Pid, wrong+1)
			f.Close()

			cmd := exec.Command("bash", down)
			cmd.Env = append(os.Environ(), "DVR_DEMO_DIR="+run)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("demo-down: %v\n%s", err, out)
			}
			t.Logf("demo-down:\n%s", out)
			if _, err := os.Stat(run); err == nil {
				t.Errorf("%s still there", run)
			}
			waitExit := func(c *exec.Cmd) bool {
				done := make(chan struct{})
				go func() { _, _ = c.Process.Wait(); close(done) }()
				select {
				case <-done:
					return true
				case <-time.After(100 * time.Millisecond):
					return false
				}
			}
			if !waitExit(outlived) {
				t.Errorf("the noted process that outlived the sandbox (pid %d) still runs", outlived.Process.Pid)
			}
			if !runs(reused.Process.Pid) {
				t.Errorf("demo-down killed pid %d, noted with another start time", reused.Process.Pid)
			}
			// The decoys carry the dead sandbox's pid in hvtest's name
			// format, so hvtest's own sweep in a test package running at
			// the same time (go test ./...) may remove them as stale: a
			// decoy that is gone counts against demo-down only when its
			// output, which names everything it removes, names it.
			for _, d := range []struct{ what, path, name string }{
				{"namespace", "/run/netns/" + decoyNS, decoyNS}, {"directory", decoyDir, decoyDir}} {
				if _, err := os.Stat(d.path); err != nil {
					if strings.Contains(string(out), d.name) {
						t.Errorf("demo-down removed the %s %s it did not make", d.what, d.name)
					} else {
						t.Logf("the decoy %s %s is gone, not by demo-down (a concurrent hvtest sweep)", d.what, d.name)
					}
				}
			}
			_ = exec.Command("ip", "netns", "del", decoyNS).Run()
			os.RemoveAll(decoyDir)
			// Nothing of the sandbox left: every noted namespace and
			// directory, every process and mount with its prefix.
			for _, l := range strings.Split(journal, "\n") {
				f := strings.Fields(l)
				if len(f) < 2 {
					continue
				}
				switch f[0] {
				case "netns":
					if _, err := os.Stat("/run/netns/" + f[1]); err == nil {
						t.Errorf("namespace %s still there", f[1])
					}
				case "dir":
					if _, err := os.Stat(f[1]); err == nil {
						t.Errorf("directory %s still there", f[1])
					}
				}
			}
			leftovers(t, &State{Pid: up.Process.Pid}, run)
		})
	}
}

// runs: the process exists and is not a zombie (killed, not yet reaped).
func runs(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i > 0 && len(s) > i+2 && s[i+2] != 'Z'
}
