package main

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
	"github.com/dvr-ovn/dvr/internal/ovsdbconn"
	"github.com/dvr-ovn/dvr/internal/proclog"
	"github.com/dvr-ovn/dvr/northd"
	"github.com/dvr-ovn/dvr/schema"
)

// runProfile profiles dvr-northd without any flag of its own: it runs
// northd.New/Run in this process (its JSON log into a logBook, as from the
// binary) through the same steps as the benchmark, and writes CPU profiles
// of each step and a heap profile to dir:
//
//	cold.cpu.pprof      start → first full round logged (empty SB)
//	claims.cpu.pprof    every chassis claims its ports → settled
//	changes.cpu.pprof   the port changes (lsp-add, claim, lsp-set-addresses)
//	takeover.cpu.pprof  a second instance in this process, started after the
//	                    first is stopped: its full round over the bound SB
//	heap.pprof          after the changes (in-use and allocated bytes)
//
// Read them with `go tool pprof -top bench/northd/northd-bench DIR/cold.cpu.pprof`
// (the benchmark binary, or none: Go profiles carry their symbols).
func runProfile(ctx context.Context, cfg config, size int, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	benchkit.Logf("profile, %d ports: servers, NB load, %d chassis", size, cfg.chassis)
	st, err := newStage(ctx, size, cfg.chassis, schema.NB, schema.SB)
	defer st.stop()
	if err != nil {
		return err
	}
	start := func(id string) (*instance, context.CancelFunc, <-chan error, error) {
		book := proclog.New()
		log := logrus.New()
		log.SetLevel(logrus.DebugLevel)
		log.SetFormatter(&logrus.JSONFormatter{})
		log.SetOutput(book)
		n, err := northd.New(northd.Config{NB: ovsdbconn.Config{Endpoints: st.nb.Endpoint()},
			SB: ovsdbconn.Config{Endpoints: st.sb.Endpoint()}, InstanceID: id, Log: log})
		if err != nil {
			return nil, nil, nil, err
		}
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		in := &instance{book: book, started: time.Now()}
		go func() { done <- n.Run(rctx) }()
		return in, cancel, done, nil
	}
	profiled := func(name string, f func() error) error {
		file, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		defer file.Close()
		runtime.GC()
		if err := pprof.StartCPUProfile(file); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
		return f()
	}

	want, err := benchkit.BumpNbCfg(ctx, st.nbc)
	if err != nil {
		return err
	}
	w, err := watchSbCfg(ctx, st.nb.Endpoint())
	if err != nil {
		return err
	}
	defer w.close()
	var in *instance
	var stop context.CancelFunc
	var done <-chan error
	var cold coldStart
	benchkit.Logf("profile, %d ports: cold start", size)
	if err := profiled("cold.cpu.pprof", func() error {
		var err error
		if in, stop, done, err = start("prof-a"); err != nil {
			return err
		}
		cold, err = waitColdStart(in, w, want)
		return err
	}); err != nil {
		if stop != nil {
			stop()
		}
		return err
	}
	defer func() {
		if stop != nil {
			stop()
			<-done
		}
	}()
	in.book.Quiet(200*time.Millisecond, 30*time.Second)
	benchkit.Logf("profile: cold start %s ms (NB monitor %s, round: read %s, translate %s, diff %s, SB commit %s)",
		ms(cold.roundDone), ms(cold.nbMonitored), ms(cold.round.Dur("read_ms")), ms(cold.round.Dur("translate_ms")),
		ms(cold.round.Dur("diff_ms")), ms(cold.round.Dur("sb_commit_ms")))

	benchkit.Logf("profile, %d ports: claims", size)
	if err := profiled("claims.cpu.pprof", func() error {
		b, err := bind(ctx, st, in.book, 0, true)
		if err == nil {
			benchkit.Logf("profile: claims settled in %s s, %d full + %d incremental rounds", secs(b.settled), b.full, b.incr)
		}
		return err
	}); err != nil {
		return err
	}

	benchkit.Logf("profile, %d ports: %d port changes of each kind", size, cfg.changes)
	if err := profiled("changes.cpu.pprof", func() error {
		cs, err := portChanges(ctx, st, in.book, cfg.changes)
		if err == nil {
			var s benchkit.Samples
			for _, c := range cs {
				s = append(s, c.internal)
			}
			benchkit.Logf("profile: changes internal median %s ms, p99 %s ms", ms(s.Median()), ms(s.P99()))
		}
		return err
	}); err != nil {
		return err
	}
	runtime.GC()
	hf, err := os.Create(filepath.Join(dir, "heap.pprof"))
	if err != nil {
		return err
	}
	err = pprof.Lookup("heap").WriteTo(hf, 0)
	hf.Close()
	if err != nil {
		return err
	}

	benchkit.Logf("profile, %d ports: a second instance's full round over the bound SB", size)
	stop()
	if err := <-done; err != nil {
		return err
	}
	stop = nil
	return profiled("takeover.cpu.pprof", func() error {
		var err error
		if in, stop, done, err = start("prof-b"); err != nil {
			return err
		}
		_, l, err := in.book.Wait(0, 15*time.Minute, "the second instance's full round", isRound("full"))
		if err == nil {
			benchkit.Logf("profile: second instance: full round logged %s ms after Run (read %s, translate %s, diff %s, SB commit %s, %.0f SB ops)",
				ms(l.At.Sub(in.started)), ms(l.Dur("read_ms")), ms(l.Dur("translate_ms")), ms(l.Dur("diff_ms")),
				ms(l.Dur("sb_commit_ms")), l.Num("sb_ops"))
		}
		return err
	})
}
