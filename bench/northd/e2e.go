package main

import (
	"fmt"
	"time"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
	"github.com/dvr-ovn/dvr/internal/proclog"
)

// e2eRun is one end-to-end command shape run n times as whole processes.
type e2eRun struct {
	tool  string // dvr-nbctl, ovn-nbctl
	wait  bool   // --wait=sb
	addr  bool   // -- lsp-set-addresses P "MAC IP"
	times benchkit.Samples
	// rounds are dvr-northd's rounds that handled the commands (--wait
	// only: they carry nb_cfg, so each commits to SB).
	rounds []proclog.Line
}

func (e *e2eRun) command() string {
	s := e.tool
	if e.wait {
		s += " --wait=sb"
	}
	s += " lsp-add SW P"
	if e.addr {
		s += " -- lsp-set-addresses P \"MAC IP\""
	}
	return s
}

// e2eShapes are the shapes run for each tool: the issue's `--wait=sb
// lsp-add` first, then with addresses (a VM port as a CMS creates it).
// Without --wait (dvr-nbctl only) they show the command's own cost.
func e2eShapes(tool string) []*e2eRun {
	rs := []*e2eRun{{tool: tool, wait: true}, {tool: tool, wait: true, addr: true}}
	if tool == "dvr-nbctl" {
		rs = append(rs, &e2eRun{tool: tool}, &e2eRun{tool: tool, addr: true})
	}
	return rs
}

// runE2E runs each shape n times on an idle daemon (book nil: no log to
// read, for ovn-northd). adapt, if set, may lower n after the first
// sample of a shape.
func runE2E(bin string, st *stage, book *proclog.Book, shapes []*e2eRun, n int, adapt func(first time.Duration, n int) int) error {
	db := "--db=" + st.nb.Endpoint()
	for si, e := range shapes {
		want := n
		for i := 0; i < want; i++ {
			sw, addr, err := st.ports.next()
			if err != nil {
				return err
			}
			mark := 0
			if book != nil {
				book.Quiet(30*time.Millisecond, 10*time.Second)
				mark = book.Mark()
			}
			name := fmt.Sprintf("e2e-%d-%d", si, i)
			args := []string{db}
			if e.wait {
				args = append(args, "--wait=sb", "--timeout=600")
			}
			args = append(args, "lsp-add", sw, name)
			if e.addr {
				args = append(args, "--", "lsp-set-addresses", name, addr)
			}
			d, err := timeProc(bin, args...)
			if err != nil {
				return err
			}
			e.times = append(e.times, d)
			if i == 0 && adapt != nil {
				want = adapt(d, want)
			}
			if book == nil || !e.wait {
				continue
			}
			_, l, err := book.Wait(mark, time.Minute, "the round of a --wait=sb lsp-add", func(l proclog.Line) bool {
				return l.Msg == "round done" && l.Num("sb_ops") > 0
			})
			if err != nil {
				return err
			}
			e.rounds = append(e.rounds, l)
		}
	}
	if book != nil {
		book.Quiet(30*time.Millisecond, 10*time.Second)
	}
	return nil
}
