package benchkit

import (
	"os"
	"testing"
	"time"
)

func TestPercentilesNearestRank(t *testing.T) {
	var s Samples
	for i := 200; i >= 1; i-- { // unsorted on purpose
		s = append(s, time.Duration(i)*time.Millisecond)
	}
	if got := s.Median(); got != 100*time.Millisecond {
		t.Errorf("median of 1..200 ms = %v, want 100ms", got)
	}
	if got := s.P99(); got != 198*time.Millisecond {
		t.Errorf("p99 of 1..200 ms = %v, want 198ms", got)
	}
	if s[0] != 200*time.Millisecond {
		t.Errorf("Pct sorted the caller's slice")
	}
	twenty := s[180:] // 20..1 ms
	if got := twenty.P99(); got != 20*time.Millisecond {
		t.Errorf("p99 of 20 samples = %v, want the maximum 20ms", got)
	}
	if got := (Samples{}).Median(); got != 0 {
		t.Errorf("median of nothing = %v", got)
	}
	if got := MS(1500 * time.Microsecond); got != "1.5" {
		t.Errorf("MS(1.5ms) = %q", got)
	}
}

func TestReadMemorySelf(t *testing.T) {
	m, err := ReadMemory(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.RSS <= 0 || m.HWM < m.RSS {
		t.Errorf("RSS %d, HWM %d", m.RSS, m.HWM)
	}
}

func TestCPUTimeOfSelf(t *testing.T) {
	end := time.Now().Add(30 * time.Millisecond)
	for time.Now().Before(end) {
	}
	d, err := CPUTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if d <= 0 {
		t.Errorf("cpu time %v", d)
	}
}

func TestSchedOfSelf(t *testing.T) {
	end := time.Now().Add(30 * time.Millisecond)
	for time.Now().Before(end) {
	}
	s, err := SchedOf(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.OnCPU <= 0 || s.Waiting < 0 {
		t.Errorf("sched %+v", s)
	}
}
