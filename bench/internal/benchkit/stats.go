package benchkit

import (
	"fmt"
	"math"
	"net"
	"slices"
	"time"
)

// Samples is a set of timings.
type Samples []time.Duration

// Pct is the nearest-rank percentile p (0 < p <= 100): the smallest sample
// with at least p% of the samples at or below it. With 20 samples p99 is
// the maximum; with 200 it is the second largest.
func (s Samples) Pct(p float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	c := slices.Clone(s)
	slices.Sort(c)
	i := int(math.Ceil(p/100*float64(len(c)))) - 1
	return c[max(0, min(i, len(c)-1))]
}

// Median is Pct(50).
func (s Samples) Median() time.Duration { return s.Pct(50) }

// P99 is Pct(99).
func (s Samples) P99() time.Duration { return s.Pct(99) }

// Max is Pct(100).
func (s Samples) Max() time.Duration { return s.Pct(100) }

// Total is the sum of the samples.
func (s Samples) Total() time.Duration {
	var t time.Duration
	for _, d := range s {
		t += d
	}
	return t
}

// MS formats a duration in milliseconds with a precision fit for its size
// ("–" for zero).
func MS(d time.Duration) string {
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

// Secs formats a duration in seconds with two decimals.
func Secs(d time.Duration) string { return fmt.Sprintf("%.2f", d.Seconds()) }

// FreePort is a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
