package main

import (
	"testing"
	"time"
)

func TestPercentilesNearestRank(t *testing.T) {
	var s samples
	for i := 200; i >= 1; i-- { // unsorted on purpose
		s = append(s, time.Duration(i)*time.Millisecond)
	}
	if got := s.median(); got != 100*time.Millisecond {
		t.Errorf("median of 1..200 ms = %v, want 100ms", got)
	}
	if got := s.p99(); got != 198*time.Millisecond {
		t.Errorf("p99 of 1..200 ms = %v, want 198ms", got)
	}
	if s[0] != 200*time.Millisecond {
		t.Errorf("pct sorted the caller's slice")
	}
	twenty := s[180:] // 20..1 ms
	if got := twenty.p99(); got != 20*time.Millisecond {
		t.Errorf("p99 of 20 samples = %v, want the maximum 20ms", got)
	}
	if got := (samples{}).median(); got != 0 {
		t.Errorf("median of nothing = %v", got)
	}
	if got := ms(1500 * time.Microsecond); got != "1.5" {
		t.Errorf("ms(1.5ms) = %q", got)
	}
}
