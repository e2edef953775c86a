package main

import (
	"time"

	"github.com/dvr-ovn/dvr/bench/internal/benchkit"
)

// samples is a set of timings (benchkit.Samples: nearest-rank percentiles).
type samples benchkit.Samples

func (s samples) pct(p float64) time.Duration { return benchkit.Samples(s).Pct(p) }
func (s samples) median() time.Duration       { return benchkit.Samples(s).Median() }
func (s samples) p99() time.Duration          { return benchkit.Samples(s).P99() }
func (s samples) total() time.Duration        { return benchkit.Samples(s).Total() }

// ms formats a duration in milliseconds with a precision fit for its size.
func ms(d time.Duration) string { return benchkit.MS(d) }

func secs(d time.Duration) string { return benchkit.Secs(d) }
