package hvtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// VswitchSchema is the Open_vSwitch schema that ships with OVS.
const VswitchSchema = "/usr/share/openvswitch/vswitch.ovsschema"

// Binaries are the programs Start needs.
var binaries = []string{"ovsdb-server", "ovsdb-tool", "ovs-vswitchd", "ovs-vsctl",
	"ovs-ofctl", "ovs-appctl", "ip", "nsenter", "unshare", "mount", "umount", "sh", "sleep"}

// Option configures a hypervisor.
type Option func(*config)

type config struct {
	systemID string
	encapIP  string
	journal  *journal
}

// SystemID sets external_ids:system-id (default: the hypervisor's name;
// StartAll of several names ignores it).
func SystemID(id string) Option { return func(c *config) { c.systemID = id } }

// EncapIP sets external_ids:ovn-encap-ip at start (Attach sets it too).
func EncapIP(ip string) Option { return func(c *config) { c.encapIP = ip } }

// HV is one simulated hypervisor: a network namespace holding its own
// ovsdb-server and ovs-vswitchd, and a holder process whose mount namespace
// has a private /run/netns. Every process started through Exec or Spawn
// runs inside both.
type HV struct {
	Name     string
	SystemID string
	NetNS    string // name of its network namespace in the host's /run/netns
	Dir      string // OVS_RUNDIR: sockets, pid files, logs, conf.db, pcaps

	DB       *Proc // ovsdb-server
	Vswitchd *Proc // ovs-vswitchd
	Holder   *Proc // keeps the mount namespace with the private /run/netns

	// Uplink is set by Switch.Attach.
	Uplink *Uplink

	tb       runner
	l        *launcher
	mu       sync.Mutex
	procs    []*Proc    // every process started, stopped in reverse at cleanup
	forwards []*forward // ForwardTCP's listeners, closed first at cleanup
	nsMade   bool
	closed   sync.Once
	cfgEncap string
	t0       time.Time
	bootTime time.Duration
}

// Start brings up one hypervisor and registers its teardown with
// tb.Cleanup. Without root or a needed binary it skips the test (fails
// under CI=true).
func Start(tb testing.TB, name string, opts ...Option) *HV {
	tb.Helper()
	return StartAll(tb, []string{name}, opts...)[0]
}

// StartAll brings up hypervisors with the given names in parallel.
func StartAll(tb testing.TB, names []string, opts ...Option) []*HV {
	tb.Helper()
	return startAll(tb, names, nil, opts...)
}

// startAll boots in parallel and then runs then(i, hv, bootErr), if not
// nil, in each hypervisor's goroutine, also when its boot failed.
func startAll(tb testing.TB, names []string, then func(int, *HV, error) error, opts ...Option) []*HV {
	tb.Helper()
	Require(tb)
	hvs, err := bootAll(tb, names, then, opts...)
	if err != nil {
		tb.Fatal(err) // every hypervisor made has its cleanup registered
	}
	return hvs
}

// bootAll is startAll for any runner: it returns the hypervisors made so
// far (nil entries for those never made) with the error, and a caller
// that is not a test closes them.
func bootAll(r runner, names []string, then func(int, *HV, error) error, opts ...Option) ([]*HV, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	hvs := make([]*HV, len(names))
	for i, n := range names {
		id := n
		if cfg.systemID != "" && len(names) == 1 {
			id = cfg.systemID
		}
		hv, err := newHV(r, n, id, cfg.journal)
		if err != nil {
			return hvs, err
		}
		hv.cfgEncap = cfg.encapIP
		hvs[i] = hv
	}
	errs := make([]error, len(hvs))
	var wg sync.WaitGroup
	for i, hv := range hvs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = hv.boot()
			if then != nil {
				errs[i] = then(i, hv, errs[i])
			}
		}()
	}
	wg.Wait()
	return hvs, errors.Join(errs...)
}

// newHV makes the run directory and registers the cleanup; boot does the rest.
func newHV(tb runner, name, systemID string, j *journal) (*HV, error) {
	sweepStale()
	dir, err := os.MkdirTemp("", fmt.Sprintf("%s%d-", prefix, os.Getpid()))
	if err != nil {
		return nil, err
	}
	j.note("dir", dir)
	hv := &HV{
		Name: name, SystemID: systemID, Dir: dir, tb: tb, l: newLauncher(),
		NetNS: nsName(tb.Name(), name),
	}
	hv.l.journal = j
	// Noted before it is made: a kill between the two leaves a name that
	// is not there, never a namespace that is not noted.
	j.note("netns", hv.NetNS)
	tb.Cleanup(hv.Close)
	// One at a time: the first "ip netns add" on a machine makes
	// /run/netns a shared bind mount of itself, and two doing it at once
	// stack two.
	hv.t0 = time.Now()
	if out, err := exec.Command("ip", "netns", "add", hv.NetNS).CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("%s: ip netns add %s: %v: %s", hv.Name, hv.NetNS, err, out)
	}
	hv.nsMade = true
	return hv, nil
}

// BootTime is how long Start took for this hypervisor (netns, holder,
// ovsdb-server, ovs-vswitchd ready).
func (hv *HV) BootTime() time.Duration { return hv.bootTime }

func (hv *HV) boot() error {
	if err := linkUp(hv.NetNS, "lo", ""); err != nil {
		return fmt.Errorf("%s: %w", hv.Name, err)
	}
	// ovsdb-server needs only the netns (a unix socket, files in Dir), so
	// it starts while the holder comes up.
	dbFile := filepath.Join(hv.Dir, "conf.db")
	dbStarted := make(chan error, 1)
	go func() {
		if out, err := exec.Command("ovsdb-tool", "create", dbFile, VswitchSchema).CombinedOutput(); err != nil {
			dbStarted <- fmt.Errorf("%s: ovsdb-tool create: %v: %s", hv.Name, err, out)
			return
		}
		db, err := hv.spawnCmd("ovsdb-server", func() *exec.Cmd {
			cmd := exec.Command("nsenter", "--net=/run/netns/"+hv.NetNS, "--", "ovsdb-server", dbFile,
				"--remote=punix:"+hv.dbSock(),
				"--unixctl="+filepath.Join(hv.Dir, "ovsdb-server.ctl"),
				"--pidfile="+filepath.Join(hv.Dir, "ovsdb-server.pid"),
				"--log-file="+filepath.Join(hv.Dir, "ovsdb-server.log"),
				"-vconsole:off", "--no-chdir")
			cmd.Env, cmd.Dir = hv.Env(), hv.Dir
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			return cmd
		})
		hv.DB = db
		dbStarted <- err
	}()
	if err := hv.startHolder(); err != nil {
		<-dbStarted
		return err
	}
	if err := <-dbStarted; err != nil {
		return err
	}
	db := hv.DB
	if err := waitSocket(db, hv.dbSock(), 10*time.Second); err != nil {
		return fmt.Errorf("%s: %w; log:\n%s", hv.Name, err, hv.LogTail("ovsdb-server", 20))
	}
	ids := []string{"external_ids:system-id=" + hv.SystemID, "external_ids:hostname=" + hv.Name}
	if hv.cfgEncap != "" {
		ids = append(ids, "external_ids:ovn-encap-ip="+hv.cfgEncap)
	}
	if out, err := hv.Vsctl(append([]string{"--no-wait", "init", "--", "set", "Open_vSwitch", "."}, ids...)...); err != nil {
		return fmt.Errorf("%s: %v: %s", hv.Name, err, out)
	}
	vs, err := hv.spawn("ovs-vswitchd", "unix:"+hv.dbSock(),
		"--disable-system", "--enable-dummy",
		"--unixctl="+hv.CtlSocket(),
		"--pidfile="+filepath.Join(hv.Dir, "ovs-vswitchd.pid"),
		"--log-file="+filepath.Join(hv.Dir, "ovs-vswitchd.log"),
		"-vconsole:off", "--no-chdir")
	if err != nil {
		return err
	}
	hv.Vswitchd = vs
	if err := hv.waitVswitchd(20 * time.Second); err != nil {
		return err
	}
	hv.bootTime = time.Since(hv.t0)
	return nil
}

// startHolder starts the process that keeps this hypervisor's mount
// namespace: inside the netns (ip netns exec also remounts /sys for it),
// a mount namespace of its own with private propagation and a tmpfs on
// /run/netns, then it just waits. The copy of the host's /run/netns it
// inherits is detached first: its bind mounts would otherwise keep every
// other hypervisor's network namespace (and the taps in it) alive for as
// long as this holder lives, past their own "ip netns del".
func (hv *HV) startHolder() error {
	// Shell builtins where they do (each exec costs 10-30 ms on a busy
	// machine); a mount made on a private parent is private already. The
	// tmpfs is named after the netns, so mountinfo says whose it is.
	script := "echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6 && " +
		"echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6 && " +
		"{ umount -l /run/netns 2>/dev/null || true; } && " +
		"mount -t tmpfs -o size=1m,mode=755 " + hv.NetNS + " /run/netns && " +
		"echo ready && exec sleep infinity"
	p := &Proc{Name: "holder", l: hv.l, out: &lockedBuffer{}}
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	p.build = func() *exec.Cmd {
		cmd := exec.Command("ip", "netns", "exec", hv.NetNS,
			"unshare", "--mount", "--propagation", "private", "sh", "-c", script)
		cmd.Stdout, cmd.Stderr = pw, p.out
		return cmd
	}
	err = p.start()
	pw.Close()
	if err != nil {
		pr.Close()
		return fmt.Errorf("%s: %w", hv.Name, err)
	}
	hv.track(p)
	hv.Holder = p
	line := make(chan string, 1)
	go func() {
		defer pr.Close()
		s, _ := bufio.NewReader(pr).ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		if strings.TrimSpace(s) != "ready" {
			p.Kill()
			return fmt.Errorf("%s: holder did not start: %q %s", hv.Name, s, p.Output())
		}
	case <-time.After(10 * time.Second):
		return fmt.Errorf("%s: holder not ready within 10s: %s", hv.Name, p.Output())
	}
	return nil
}

// waitVswitchd waits until ovs-vswitchd has applied the database's
// configuration (ovs-vsctl's own wait for cur_cfg).
func (hv *HV) waitVswitchd(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if !hv.Vswitchd.Running() {
			return fmt.Errorf("%s: ovs-vswitchd exited: %s\nlog:\n%s", hv.Name, hv.Vswitchd.Output(), hv.LogTail("ovs-vswitchd", 20))
		}
		if _, err := os.Stat(hv.CtlSocket()); err == nil {
			// Rewriting a value bumps next_cfg; ovs-vsctl then waits
			// until ovs-vswitchd reports it in cur_cfg.
			if out, err := hv.Vsctl("--timeout=10", "set", "Open_vSwitch", ".", "external_ids:system-id="+hv.SystemID); err == nil {
				return hv.waitBridges(time.Until(deadline))
			} else if time.Now().Add(time.Second).After(deadline) {
				return fmt.Errorf("%s: waiting for ovs-vswitchd: %v: %s", hv.Name, err, out)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("%s: ovs-vswitchd not ready within %v; log:\n%s", hv.Name, timeout, hv.LogTail("ovs-vswitchd", 20))
}

// waitBridges waits until every bridge accepts OpenFlow connections on
// <rundir>/<bridge>.mgmt: after a restart, ovs-vswitchd reports cur_cfg
// before it has opened them (ovs-ofctl: "br-int is not a bridge or a
// socket").
func (hv *HV) waitBridges(timeout time.Duration) error {
	out, err := hv.Vsctl("--no-wait", "list-br")
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	for _, br := range strings.Fields(out) {
		if err := waitSocket(hv.Vswitchd, filepath.Join(hv.Dir, br+".mgmt"), timeout); err != nil {
			return fmt.Errorf("%s: bridge %s: %w", hv.Name, br, err)
		}
	}
	return nil
}

func (hv *HV) track(p *Proc) {
	hv.mu.Lock()
	defer hv.mu.Unlock()
	hv.procs = append(hv.procs, p)
}

// spawn starts a process inside the hypervisor (netns and holder's mount
// namespace) with its OVS environment; it is stopped at cleanup.
func (hv *HV) spawn(name string, args ...string) (*Proc, error) {
	return hv.spawnCmd(name, func() *exec.Cmd { return hv.Command(name, args...) })
}

func (hv *HV) spawnCmd(name string, build func() *exec.Cmd) (*Proc, error) {
	p := &Proc{Name: name, l: hv.l, out: &lockedBuffer{}, build: build}
	if err := p.start(); err != nil {
		return nil, fmt.Errorf("%s: %w", hv.Name, err)
	}
	hv.track(p)
	return p, nil
}

// Spawn starts a long-running process inside the hypervisor: in its
// network namespace and in the holder's mount namespace (the private
// /run/netns), with OVS_RUNDIR and friends pointing at RunDir. The process
// dies with the test binary (Pdeathsig) and is stopped by pid (SIGTERM,
// then SIGKILL) at cleanup; its output is logged if the test failed.
func (hv *HV) Spawn(name string, args ...string) *Proc {
	hv.tb.Helper()
	p, err := hv.spawn(name, args...)
	if err != nil {
		hv.tb.Fatal(err)
	}
	return p
}

// Command builds (does not start) a command that runs inside the
// hypervisor, as Spawn's do: nsenter into the holder's mount and network
// namespaces, OVS environment, Pdeathsig. Prefer Exec and Spawn, which
// start it from a thread that never exits (see Pdeathsig in doc.go).
// -r keeps the holder's root: entering a mount namespace resets the root
// directory to that namespace's, which under a chroot (scripts/fresh-check.sh
// runs the demo in one) is the host's, with the host's /tmp and programs.
func (hv *HV) Command(name string, args ...string) *exec.Cmd {
	full := append([]string{"-t", fmt.Sprint(hv.Holder.Pid()), "-m", "-n", "-r", "--", name}, args...)
	cmd := exec.Command("nsenter", full...)
	cmd.Env = hv.Env()
	cmd.Dir = hv.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	return cmd
}

// Exec runs a command to completion inside the hypervisor (as Spawn) and
// returns its combined output. It is killed after a minute.
func (hv *HV) Exec(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := hv.Command(name, args...)
	var out lockedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = time.Second
	if err := hv.l.start(cmd); err != nil {
		return "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		// Its own process group (Setpgid): whatever it started goes too.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		err = fmt.Errorf("%v: %w", <-done, ctx.Err())
	}
	if err != nil {
		return out.String(), fmt.Errorf("%s: %s %s: %w", hv.Name, name, strings.Join(args, " "), err)
	}
	return out.String(), nil
}

// MustExec is Exec that fails the test on error.
func (hv *HV) MustExec(name string, args ...string) string {
	hv.tb.Helper()
	out, err := hv.Exec(name, args...)
	if err != nil {
		hv.tb.Fatalf("%v: %s", err, out)
	}
	return out
}

// Env is the environment for OVS tools and daemons of this hypervisor.
func (hv *HV) Env() []string {
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OVS_") {
			env = append(env, kv)
		}
	}
	return append(env, "OVS_RUNDIR="+hv.Dir, "OVS_LOGDIR="+hv.Dir, "OVS_DBDIR="+hv.Dir,
		"OVS_SYSCONFDIR="+hv.Dir, "OVS_PKGDATADIR=/usr/share/openvswitch")
}

// RunDir is the hypervisor's OVS_RUNDIR (ovs-ofctl finds <bridge>.mgmt there).
func (hv *HV) RunDir() string { return hv.Dir }

func (hv *HV) dbSock() string { return filepath.Join(hv.Dir, "db.sock") }

// Endpoint is the hypervisor's local OVSDB (Open_vSwitch), as a client takes it.
func (hv *HV) Endpoint() string { return "unix:" + hv.dbSock() }

// CtlSocket is ovs-vswitchd's unixctl socket.
func (hv *HV) CtlSocket() string { return filepath.Join(hv.Dir, "ovs-vswitchd.ctl") }

// HolderPid is the pid to nsenter (-m -n) to act inside the hypervisor.
func (hv *HV) HolderPid() int { return hv.Holder.Pid() }

// NamespacePath is the path, valid in the test's own mount namespace, of a
// network namespace named in the hypervisor's private /run/netns (e.g. a
// qrouter-<uuid> made by dvr-chassis): /proc/<holder>/root resolves the
// path through the holder's mount namespace. Open it with
// netns.GetFromPath and use netlink.NewHandleAt to inspect the namespace
// from the test process, with no process started.
func (hv *HV) NamespacePath(name string) string {
	return fmt.Sprintf("/proc/%d/root/run/netns/%s", hv.Holder.Pid(), name)
}

func (hv *HV) ovs(tool string, args ...string) (string, error) {
	cmd := exec.Command(tool, args...)
	cmd.Env = hv.Env()
	cmd.Dir = hv.Dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s: %s %s: %w", hv.Name, tool, strings.Join(args, " "), err)
	}
	return string(out), nil
}

// Vsctl runs ovs-vsctl against the hypervisor's database. It waits for
// ovs-vswitchd unless args hold --no-wait.
func (hv *HV) Vsctl(args ...string) (string, error) {
	return hv.ovs("ovs-vsctl", append([]string{"--db=" + hv.Endpoint(), "--timeout=20"}, args...)...)
}

// Ofctl runs ovs-ofctl for the hypervisor's bridges, with -O OpenFlow13
// unless args choose a protocol (-O or --protocols).
func (hv *HV) Ofctl(args ...string) (string, error) {
	proto := true
	for _, a := range args {
		if strings.HasPrefix(a, "-O") || strings.HasPrefix(a, "--protocols") {
			proto = false
		}
	}
	if proto {
		args = append([]string{"-O", "OpenFlow13"}, args...)
	}
	return hv.ovs("ovs-ofctl", args...)
}

// Appctl runs ovs-appctl against the hypervisor's ovs-vswitchd.
func (hv *HV) Appctl(args ...string) (string, error) {
	return hv.ovs("ovs-appctl", append([]string{"-t", hv.CtlSocket()}, args...)...)
}

// MustVsctl, MustOfctl and MustAppctl fail the test on error.
func (hv *HV) MustVsctl(args ...string) string {
	hv.tb.Helper()
	return hv.must(hv.Vsctl(args...))
}

// MustOfctl is Ofctl that fails the test on error.
func (hv *HV) MustOfctl(args ...string) string {
	hv.tb.Helper()
	return hv.must(hv.Ofctl(args...))
}

// MustAppctl is Appctl that fails the test on error.
func (hv *HV) MustAppctl(args ...string) string {
	hv.tb.Helper()
	return hv.must(hv.Appctl(args...))
}

func (hv *HV) must(out string, err error) string {
	hv.tb.Helper()
	if err != nil {
		hv.tb.Fatalf("%v: %s", err, out)
	}
	return out
}

// RestartVswitchd stops ovs-vswitchd by pid and starts it again on the
// same database and sockets; it returns once the new one has applied the
// configuration. Flows and tnl/neigh entries do not survive it.
func (hv *HV) RestartVswitchd() error {
	hv.Vswitchd.Stop(5 * time.Second)
	_ = os.Remove(hv.CtlSocket())
	if err := hv.Vswitchd.Restart(); err != nil {
		return err
	}
	return hv.waitVswitchd(20 * time.Second)
}

// RestartDB stops ovsdb-server by pid and starts it again on the same file.
func (hv *HV) RestartDB() error {
	hv.DB.Stop(5 * time.Second)
	_ = os.Remove(hv.dbSock())
	if err := hv.DB.Restart(); err != nil {
		return err
	}
	return waitSocket(hv.DB, hv.dbSock(), 10*time.Second)
}

// LogTail returns the last n lines of a daemon's log file
// ("ovs-vswitchd" or "ovsdb-server").
func (hv *HV) LogTail(daemon string, n int) string {
	b, _ := os.ReadFile(filepath.Join(hv.Dir, daemon+".log"))
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Close tears the hypervisor down now (cleanup does it otherwise; a
// second call does nothing): it stops every process by pid (newest first:
// Spawned ones, then ovs-vswitchd, ovsdb-server, the holder, whose exit
// takes its mount namespace and every namespace named in its /run/netns),
// deletes the network namespace and removes the run directory.
func (hv *HV) Close() { hv.closed.Do(hv.cleanup) }

func (hv *HV) cleanup() {
	hv.mu.Lock()
	procs := append([]*Proc(nil), hv.procs...)
	fws := hv.forwards
	hv.forwards = nil
	hv.mu.Unlock()
	for _, f := range fws {
		_ = f.Close()
	}
	failed := hv.tb.Failed()
	for i := len(procs) - 1; i >= 0; i-- {
		p := procs[i]
		p.Stop(5 * time.Second)
		if failed && p.Name != "holder" && strings.TrimSpace(p.Output()) != "" {
			hv.tb.Logf("%s: %s (pid %d) output:\n%s", hv.Name, p.Name, p.Pid(), p.Output())
		}
	}
	hv.l.close()
	if failed {
		hv.tb.Logf("%s: ovs-vswitchd log (tail):\n%s", hv.Name, hv.LogTail("ovs-vswitchd", 30))
	}
	if hv.nsMade {
		if out, err := exec.Command("ip", "netns", "del", hv.NetNS).CombinedOutput(); err != nil {
			hv.tb.Errorf("%s: ip netns del %s: %v: %s", hv.Name, hv.NetNS, err, out)
		}
	}
	if !failed || os.Getenv("HVTEST_KEEP") == "" {
		_ = os.RemoveAll(hv.Dir)
	} else {
		hv.tb.Logf("%s: kept %s (HVTEST_KEEP)", hv.Name, hv.Dir)
	}
}

func waitSocket(p *Proc, path string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if !p.Running() {
			return fmt.Errorf("%s exited: %s", p.Name, p.Output())
		}
		if c, err := dialUnix(path); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("socket %s not ready within %v", path, timeout)
}
