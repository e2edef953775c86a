package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
	"github.com/dvr-ovn/dvr/nbctl"
	fixtures "github.com/dvr-ovn/dvr/ovsdb-fixtures"
	"github.com/dvr-ovn/dvr/schema"
)

// probe (BENCH_PROBE=N, BENCH_PROBE_DIR=DIR) loads the big-parent NB of
// n ports, prints the server floors and times `lsp-add bs P --
// lsp-set-addresses P "MAC IP"` in-process, writing a CPU profile of those
// runs to DIR/cpu-<n>.pprof.
func probe(n int, dir string) error {
	ctx := context.Background()
	s, err := benchkit.StartServer(schema.NB, false)
	if err != nil {
		return err
	}
	defer s.Stop()
	if err := fixtures.LoadNB(ctx, s.Endpoint(), fixtures.MustGenerate(1, 10, 100, 0), 0); err != nil {
		return err
	}
	t0 := time.Now()
	if err := loadBig(ctx, s.Endpoint(), n); err != nil {
		return err
	}
	logf("probe: loaded %d ports in %v", n, time.Since(t0))
	f, err := measureBigFloor(ctx, s.Endpoint(), 10)
	if err != nil {
		return err
	}
	fmt.Printf("n=%d minimal %s ms | %d per-row selects %s ms (%d B) | whole LSP table %s ms (%d B) | %d guards %s ms (%d B)\n",
		n, ms(f.minimal.median()), n, ms(f.perRow.median()), f.perRowB, ms(f.wholeTbl.median()), f.wholeTblB,
		n, ms(f.guards.median()), f.guardsB)
	if os.Getenv("BENCH_PROBE_HOLD") != "" {
		// Keep the server for commands by hand, until stdin closes.
		fmt.Printf("probe: NB of %d ports at %s; close stdin to stop\n", n, s.Endpoint())
		_, _ = io.Copy(io.Discard, os.Stdin)
		return nil
	}
	if os.Getenv("BENCH_PROBE_GC") != "" {
		// A/B of dvr-nbctl's collector settings, interleaved.
		var a, b samples
		for i := 0; i < 20; i++ {
			for k, env := range [][]string{nil, {"GOGC=100"}} {
				name := fmt.Sprintf("gc-%d-%d", k, i)
				d, err := timeProc(env, "bin/dvr-nbctl", "--db="+s.Endpoint(), "lsp-add", bigSwitch, name, "--", "lsp-set-addresses", name,
					fmt.Sprintf("fa:16:3f:fd:%02x:%02x %s", k, i, bigIP(62000+100*k+i)))
				if err != nil {
					return err
				}
				if k == 0 {
					a = append(a, d)
				} else {
					b = append(b, d)
				}
			}
		}
		fmt.Printf("n=%d one-shot: default (no GC below 256 MiB) median %s ms p99 %s; GOGC=100 median %s ms p99 %s\n",
			n, ms(a.median()), ms(a.p99()), ms(b.median()), ms(b.p99()))
		return nil
	}
	if os.Getenv("BENCH_PROBE_ALT") != "" {
		return probeAlt(ctx, s.Endpoint())
	}
	var prof *os.File
	if dir != "" {
		if prof, err = os.Create(filepath.Join(dir, fmt.Sprintf("cpu-%d.pprof", n))); err != nil {
			return err
		}
		defer prof.Close()
		if err := pprof.StartCPUProfile(prof); err != nil {
			return err
		}
	}
	var ts samples
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	o := nbctl.Options{DB: s.Endpoint(), Stdout: io.Discard}
	for i := 0; i < 20; i++ {
		name := fmt.Sprintf("probe%d", i)
		args := []string{"lsp-add", bigSwitch, name, "--", "lsp-set-addresses", name,
			fmt.Sprintf("fa:16:3f:ff:00:%02x %s", i, bigIP(60000+i))}
		if v := os.Getenv("BENCH_PROBE_CMD"); v != "" {
			args = strings.Fields(v) // another command, e.g. "show bs"
		}
		t0 := time.Now()
		if err := nbctl.Run(ctx, o, args); err != nil {
			return err
		}
		ts = append(ts, time.Since(t0))
	}
	if prof != nil {
		pprof.StopCPUProfile()
	}
	runtime.ReadMemStats(&ms1)
	fmt.Printf("n=%d in-process: %.1f MB allocated per run, %d GCs in 20 runs\n", n,
		float64(ms1.TotalAlloc-ms0.TotalAlloc)/20e6, ms1.NumGC-ms0.NumGC)
	fmt.Printf("n=%d in-process lsp-add+lsp-set-addresses median %s ms p99 %s ms\n", n, ms(ts.median()), ms(ts.p99()))
	for _, bin := range []string{"bin/dvr-nbctl", "ovn-nbctl"} {
		var ts samples
		for i := 0; i < 10; i++ {
			name := fmt.Sprintf("probe-%d-%d", len(bin), i)
			d, err := timeProc(nil, bin, "--db="+s.Endpoint(), "lsp-add", bigSwitch, name, "--", "lsp-set-addresses", name,
				fmt.Sprintf("fa:16:3f:fe:%02x:%02x %s", len(bin), i, bigIP(61000+100*len(bin)+i)))
			if err != nil {
				return err
			}
			ts = append(ts, d)
		}
		fmt.Printf("n=%d %s one-shot median %s ms p99 %s ms\n", n, bin, ms(ts.median()), ms(ts.p99()))
	}
	return nil
}
