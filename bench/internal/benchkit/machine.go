package benchkit

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

var start = time.Now()

// Logf prints a progress line on stderr, with the seconds since start.
func Logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[bench %6.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
}

// Elapsed is the time since the program started.
func Elapsed() time.Duration { return time.Since(start) }

// LoadAvg is the 1, 5 and 15 minute load averages.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// FirstLine runs bin and returns the first line of its stdout ("?" on
// error).
func FirstLine(bin string, args ...string) string {
	o, err := exec.Command(bin, args...).Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(strings.SplitN(string(o), "\n", 2)[0])
}

// Machine is one line describing the machine: CPUs (nproc), CPU model,
// RAM, kernel.
func Machine() string {
	model := "unknown"
	if ci, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(ci), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := ""
	if mi, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(mi), "\n") {
			if strings.HasPrefix(l, "MemTotal:") {
				f := strings.Fields(l)
				if len(f) >= 2 {
					kb, _ := strconv.Atoi(f[1])
					mem = fmt.Sprintf(", %.0f GiB RAM", float64(kb)/(1<<20))
				}
			}
		}
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	return fmt.Sprintf("%d CPUs (nproc), %s%s, Linux %s", runtime.NumCPU(), model, mem, strings.TrimSpace(string(kernel)))
}

// Revision is the short HEAD commit, with a note when any of paths has
// uncommitted changes.
func Revision(paths ...string) string {
	rev := FirstLine("git", "rev-parse", "--short", "HEAD")
	if FirstLine("git", append([]string{"status", "--porcelain", "--"}, paths...)...) != "" {
		rev += fmt.Sprintf(" (uncommitted changes under %s)", strings.Join(paths, ", "))
	}
	return rev
}

// EnvInt reads a non-negative integer from the environment (def when
// unset).
func EnvInt(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s=%q: want a non-negative integer", name, v)
	}
	return n, nil
}

// EnvBool reports whether name is set to anything but "" or "0"; def when
// unset.
func EnvBool(name string, def bool) bool {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return def
	}
	return v != "0"
}
