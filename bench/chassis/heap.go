package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
)

// heapStat is dvr-chassis' Go heap at one moment: a heap profile taken
// right after a forced GC (pprof's ?gc=1), so its inuse_space is the live
// heap, and the runtime's own figures from the same handler.
type heapStat struct {
	file      string // the profile (go tool pprof -sample_index=inuse_space)
	top       string // its top entries
	inuse     int64  // HeapInuse: spans holding objects (live + fragmentation)
	alloc     int64  // HeapAlloc: live objects after that GC
	sys, idle int64  // Sys (everything from the OS), HeapIdle
	released  int64  // HeapReleased (returned to the OS)
	err       error
}

// heap takes a heap profile of dvr-chassis (after a GC) into file, and
// its MemStats.
func heapOf(s *benchkit.Scraper, file string) heapStat {
	h := heapStat{file: file}
	if h.err = s.Fetch("/debug/pprof/heap?gc=1", func(r io.Reader) error {
		f, err := os.Create(file)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(f, r)
		return err
	}); h.err != nil {
		return h
	}
	h.err = s.Fetch("/debug/pprof/heap?debug=1", func(r io.Reader) error {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			k, v, ok := strings.Cut(strings.TrimPrefix(sc.Text(), "# "), " = ")
			if !ok {
				continue
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				continue
			}
			switch k {
			case "HeapInuse":
				h.inuse = n
			case "HeapAlloc":
				h.alloc = n
			case "Sys":
				h.sys = n
			case "HeapIdle":
				h.idle = n
			case "HeapReleased":
				h.released = n
			}
		}
		return sc.Err()
	})
	if h.err == nil {
		h.top = benchkit.PprofTop(file, 20, "-sample_index=inuse_space")
	}
	return h
}

func (h heapStat) row(w io.Writer, when string) {
	if h.err != nil {
		fmt.Fprintf(w, "| Go heap %s | failed: %v | | | | |\n", when, h.err)
		return
	}
	fmt.Fprintf(w, "| Go heap %s, after a GC: live (in use); from the OS, idle, released | %s (%s); %s, %s, %s | | | | |\n",
		when, mib(h.alloc), mib(h.inuse), mib(h.sys), mib(h.idle), mib(h.released))
}

func (h heapStat) profileText(w io.Writer, when string) {
	if h.err != nil {
		return
	}
	fmt.Fprintf(w, "\nHeap profile of dvr-chassis %s (`go tool pprof -sample_index=inuse_space -top %s`):\n\n```\n%s\n```\n", when, h.file, h.top)
}
