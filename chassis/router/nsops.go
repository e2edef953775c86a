package router

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/vishvananda/netns"
)

// netnsDir is where vishvananda/netns names namespaces (its bindMountPath).
const netnsDir = "/run/netns"

// listRouterNamespaces returns the qrouter-* names in /run/netns.
func listRouterNamespaces() ([]string, error) {
	ents, err := os.ReadDir(netnsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), NSPrefix) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// createNamespace makes a named namespace without leaving any thread of
// ours in it: netns.NewNamed switches the calling thread into the new
// namespace, so it runs on a goroutine that locks its thread and exits
// locked (the runtime then destroys that thread).
func createNamespace(name string) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		h, err := netns.NewNamed(name)
		if err == nil {
			_ = h.Close()
		}
		errc <- err
	}()
	return <-errc
}

func deleteNamespace(name string) error { return netns.DeleteNamed(name) }

// inNamespace runs f on a thread switched into the namespace at path,
// switching back afterwards; if it cannot switch back, the goroutine
// exits with its thread locked, so the thread is discarded.
func inNamespace(path string, f func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- err
			return
		}
		defer orig.Close()
		target, err := netns.GetFromPath(path)
		if err != nil {
			errc <- err
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			errc <- err
			return
		}
		ferr := f()
		if err := netns.Set(orig); err != nil {
			errc <- errors.Join(ferr, fmt.Errorf("back to the original namespace: %w", err))
			return // locked: the thread goes
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// setSysctls writes the settings that differ; /proc/sys/net resolves to
// the network namespace of the thread that opens it. A missing IPv6
// tree (IPv6 disabled at boot) counts as IPv6 off. It returns the keys
// it changed.
func setSysctls(ns string, want []Sysctl) ([]string, error) {
	var changed []string
	err := inNamespace(filepath.Join(netnsDir, ns), func() error {
		for _, s := range want {
			p := filepath.Join("/proc/sys", s.Key)
			cur, err := os.ReadFile(p)
			if errors.Is(err, os.ErrNotExist) && strings.HasPrefix(s.Key, "net/ipv6/") {
				continue
			}
			if err != nil {
				return err
			}
			if strings.TrimSpace(string(cur)) == s.Value {
				continue
			}
			if err := os.WriteFile(p, []byte(s.Value), 0o644); err != nil {
				return fmt.Errorf("%s=%s: %w", s.Key, s.Value, err)
			}
			changed = append(changed, s.Key)
		}
		return nil
	})
	return changed, err
}
