package main

import (
	"fmt"
	"math"
	"net"
	"slices"
	"time"
)

// samples is a set of timings.
type samples []time.Duration

// pct is the nearest-rank percentile p (0 < p <= 100): the smallest sample
// with at least p% of the samples at or below it. With 20 samples p99 is
// the maximum; with 200 it is the second largest.
func (s samples) pct(p float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	c := slices.Clone(s)
	slices.Sort(c)
	i := int(math.Ceil(p/100*float64(len(c)))) - 1
	return c[max(0, min(i, len(c)-1))]
}

func (s samples) median() time.Duration { return s.pct(50) }
func (s samples) p99() time.Duration    { return s.pct(99) }

func (s samples) total() time.Duration {
	var t time.Duration
	for _, d := range s {
		t += d
	}
	return t
}

// ms formats a duration in milliseconds with a precision fit for its size.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case d == 0:
		return "–"
	case v < 1:
		return fmt.Sprintf("%.3f", v)
	case v < 100:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.0f", v)
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f", d.Seconds()) }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
