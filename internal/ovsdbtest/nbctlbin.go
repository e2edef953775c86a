package ovsdbtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The project's binaries are built once per test binary each, into a
// directory named after the program and the test process, so that tests
// run the real programs as separate processes. Directories left by test
// processes that are gone are removed on the next build.

var builds = struct {
	mu   sync.Mutex
	done map[string]*buildResult
}{done: map[string]*buildResult{}}

type buildResult struct {
	once sync.Once
	path string
	err  error
}

// Binary returns the path of the program built from this module's
// cmd/<name> with `go build` (once per test binary and program).
func Binary(tb testing.TB, name string) string {
	tb.Helper()
	builds.mu.Lock()
	b := builds.done[name]
	if b == nil {
		b = &buildResult{}
		builds.done[name] = b
	}
	builds.mu.Unlock()
	b.once.Do(func() { b.path, b.err = build(name) })
	if b.err != nil {
		tb.Fatalf("building %s: %v", name, b.err)
	}
	return b.path
}

// NbctlBinary returns the path of a dvr-nbctl binary (see Binary).
func NbctlBinary(tb testing.TB) string { return Binary(tb, "dvr-nbctl") }

// RemoveBinaries deletes the binaries built by Binary; TestMain may call it
// after m.Run (otherwise a later build removes them).
func RemoveBinaries() {
	builds.mu.Lock()
	defer builds.mu.Unlock()
	for _, b := range builds.done {
		if b.path != "" {
			_ = os.RemoveAll(filepath.Dir(b.path))
		}
	}
}

// RemoveNbctlBinary is RemoveBinaries, kept for TestMains that call it.
func RemoveNbctlBinary() { RemoveBinaries() }

func goTool() (string, error) {
	if p, err := exec.LookPath("go"); err == nil {
		return p, nil
	}
	for _, p := range []string{filepath.Join(os.Getenv("GOROOT"), "bin", "go"), "/usr/local/go/bin/go"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("the go command is not on PATH")
}

func build(name string) (string, error) {
	gobin, err := goTool()
	if err != nil {
		return "", err
	}
	out, err := exec.Command(gobin, "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the module (go env GOMOD is empty)")
	}
	prefix := name + "-bin-"
	sweepBuildDirs(prefix)
	dir := filepath.Join(os.TempDir(), prefix+strconv.Itoa(os.Getpid()))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, name)
	cmd := exec.Command(gobin, "build", "-o", bin, "./cmd/"+name)
	cmd.Dir = filepath.Dir(mod)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/%s: %v: %s", name, err, out)
	}
	return bin, nil
}

// sweepBuildDirs removes build directories whose test process has exited.
func sweepBuildDirs(prefix string) {
	matches, _ := filepath.Glob(filepath.Join(os.TempDir(), prefix+"*"))
	for _, m := range matches {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(m), prefix))
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			_ = os.RemoveAll(m)
		}
	}
}

// NbctlResult is what one dvr-nbctl process did.
type NbctlResult struct {
	Args     []string
	Stdout   string
	Stderr   string
	Code     int           // exit status; -1 if it did not exit by itself
	Elapsed  time.Duration // wall time of the run
	TimedOut bool          // killed by the hang guard
}

func (r NbctlResult) String() string {
	return fmt.Sprintf("dvr-nbctl %q: exit %d\nstdout:\n%s\nstderr:\n%s", r.Args, r.Code, r.Stdout, r.Stderr)
}

// NbctlHangGuard bounds every dvr-nbctl run: a command still running after
// it is killed and reported as TimedOut. It guards against hangs; it is not
// a timing assertion.
const NbctlHangGuard = 20 * time.Second

// NbctlCmd prepares a dvr-nbctl process with args. Its environment is the
// test's without DVR_NB_DB, DVR_SB_DB and the DVR_ SSL variables (ownEnv), plus env ("KEY=VALUE"). The
// caller starts it.
func NbctlCmd(ctx context.Context, tb testing.TB, env []string, args ...string) *exec.Cmd {
	tb.Helper()
	cmd := exec.CommandContext(ctx, NbctlBinary(tb), args...)
	for _, kv := range os.Environ() {
		if !ownEnv(kv) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

// RunNbctlEnv runs dvr-nbctl to completion (within NbctlHangGuard) with
// extra environment variables.
func RunNbctlEnv(tb testing.TB, env []string, args ...string) NbctlResult {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), NbctlHangGuard)
	defer cancel()
	cmd := NbctlCmd(ctx, tb, env, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := NbctlResult{Args: args, Stdout: stdout.String(), Stderr: stderr.String(), Elapsed: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.Code, r.TimedOut = -1, true
	case err == nil:
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
	default:
		tb.Fatalf("dvr-nbctl %q: %v", args, err)
	}
	return r
}

// RunNbctl runs dvr-nbctl with args (no DVR_NB_DB in its environment).
func RunNbctl(tb testing.TB, args ...string) NbctlResult {
	tb.Helper()
	return RunNbctlEnv(tb, nil, args...)
}

// MustNbctl runs dvr-nbctl and fails the test unless it exits 0; it returns
// stdout.
func MustNbctl(tb testing.TB, args ...string) string {
	tb.Helper()
	r := RunNbctl(tb, args...)
	if r.Code != 0 || r.TimedOut {
		tb.Fatalf("%v", r)
	}
	return r.Stdout
}

// Transact runs one OVSDB transaction on database db at endpoint (unix: or
// tcp:) with ovsdb-client and returns its results; a failed operation
// fails the test.
func Transact(tb testing.TB, endpoint, db string, ops ...map[string]any) []map[string]any {
	tb.Helper()
	RequireBinaries(tb, "ovsdb-client")
	req, err := json.Marshal(append([]any{db}, anySlice(ops)...))
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), NbctlHangGuard)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ovsdb-client", "transact", reachable(endpoint), string(req)).CombinedOutput()
	if err != nil {
		tb.Fatalf("ovsdb-client transact %s: %v: %s", req, err, out)
	}
	var res []map[string]any
	if err := json.Unmarshal(out, &res); err != nil {
		tb.Fatalf("ovsdb-client transact: %v: %s", err, out)
	}
	for i, r := range res {
		if r != nil && r["error"] != nil {
			tb.Fatalf("ovsdb-client transact %s: operation %d: %v", req, i, r)
		}
	}
	return res
}

// reachable is the first endpoint of a comma list that accepts a
// connection (ovsdb-client takes one remote; a cluster's list may name a
// member that a test killed), or the list's first when none does.
func reachable(endpoint string) string {
	eps := strings.Split(endpoint, ",")
	if len(eps) == 1 {
		return endpoint
	}
	for _, ep := range eps {
		kind, addr, _ := strings.Cut(strings.TrimSpace(ep), ":")
		if kind == "ssl" {
			kind = "tcp"
		}
		if c, err := net.DialTimeout(kind, addr, time.Second); err == nil {
			c.Close()
			return strings.TrimSpace(ep)
		}
	}
	return eps[0]
}

func anySlice(ops []map[string]any) []any {
	out := make([]any, len(ops))
	for i, o := range ops {
		out[i] = o
	}
	return out
}

// SelectRows returns every row of table with the given columns (decoded
// with Atoms, UUIDs and StringMap).
func SelectRows(tb testing.TB, endpoint, db, table string, columns ...string) []map[string]any {
	tb.Helper()
	op := map[string]any{"op": "select", "table": table, "where": []any{}}
	if len(columns) > 0 {
		op["columns"] = columns
	}
	res := Transact(tb, endpoint, db, op)
	var rows []map[string]any
	for _, r := range res[0]["rows"].([]any) {
		rows = append(rows, r.(map[string]any))
	}
	return rows
}

// Atoms decodes an OVSDB value (an atom, ["set",[...]] or ["uuid",U]) into
// its atoms as strings; UUIDs become their string form.
func Atoms(v any) []string {
	a, ok := v.([]any)
	if !ok {
		return []string{fmt.Sprint(v)}
	}
	switch a[0] {
	case "uuid", "named-uuid":
		return []string{a[1].(string)}
	case "set":
		var out []string
		for _, e := range a[1].([]any) {
			out = append(out, Atoms(e)...)
		}
		return out
	}
	return []string{fmt.Sprint(v)}
}

// StringMap decodes an OVSDB ["map",[[k,v]...]] of strings.
func StringMap(v any) map[string]string {
	out := map[string]string{}
	a, ok := v.([]any)
	if !ok || a[0] != "map" {
		return out
	}
	for _, kv := range a[1].([]any) {
		p := kv.([]any)
		out[fmt.Sprint(p[0])] = fmt.Sprint(p[1])
	}
	return out
}
