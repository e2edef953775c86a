package benchkit

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/vishvananda/netns"
)

// nsDialer dials TCP from inside a network namespace (the hypervisor's,
// where dvr-chassis listens on 127.0.0.1): a socket keeps the namespace it
// was made in, so only the socket() call needs a thread switched there.
func nsDialer(nsPath string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		type res struct {
			c   net.Conn
			err error
		}
		ch := make(chan res, 1)
		go func() {
			runtime.LockOSThread()
			orig, err := netns.Get()
			if err != nil {
				ch <- res{nil, err}
				return
			}
			defer orig.Close()
			target, err := netns.GetFromPath(nsPath)
			if err != nil {
				ch <- res{nil, err}
				return
			}
			defer target.Close()
			if err := netns.Set(target); err != nil {
				ch <- res{nil, err}
				return
			}
			var d net.Dialer
			c, err := d.DialContext(ctx, network, addr)
			if netns.Set(orig) == nil {
				runtime.UnlockOSThread() // back home; otherwise the thread dies locked
			}
			ch <- res{c, err}
		}()
		r := <-ch
		return r.c, r.err
	}
}

// Scraper reads dvr-chassis' Prometheus metrics (and its profiler, with
// --pprof) on its metrics address inside a hypervisor's network namespace.
type Scraper struct {
	url string
	hc  *http.Client
}

// NewScraper reads the metrics served on addr inside the network
// namespace at nsPath.
func NewScraper(nsPath, addr string) *Scraper {
	// No gzip: a scrape every 2 ms should cost dvr-chassis as little as it can.
	tr := &http.Transport{DialContext: nsDialer(nsPath), MaxIdleConns: 2, IdleConnTimeout: time.Minute, DisableCompression: true}
	return &Scraper{url: "http://" + addr, hc: &http.Client{Transport: tr, Timeout: 5 * time.Minute}}
}

// Metrics is one scrape: "name" or "name{labels}" → value.
type Metrics map[string]float64

// Get scrapes once.
func (s *Scraper) Get() (Metrics, error) {
	resp, err := s.hc.Get(s.url + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	m := Metrics{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || l[0] == '#' || !strings.HasPrefix(l, "dvr_chassis_") && !strings.HasPrefix(l, "process_") {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(l[i+1:], 64)
		if err == nil {
			m[l[:i]] = v
		}
	}
	return m, sc.Err()
}

// Flows is dvr_chassis_flows of bridge.
func (m Metrics) Flows(bridge string) int {
	return int(m[fmt.Sprintf("dvr_chassis_flows{bridge=%q}", bridge)])
}

// Rounds is dvr_chassis_rounds_total.
func (m Metrics) Rounds() int { return int(m["dvr_chassis_rounds_total"]) }

// RoundSum is the sum of dvr_chassis_round_duration_seconds.
func (m Metrics) RoundSum() time.Duration {
	return time.Duration(m["dvr_chassis_round_duration_seconds_sum"] * float64(time.Second))
}

// Neigh is dvr_chassis_neighbour_entries.
func (m Metrics) Neigh() int { return int(m["dvr_chassis_neighbour_entries"]) }

// QRs is dvr_chassis_qr_devices.
func (m Metrics) QRs() int { return int(m["dvr_chassis_qr_devices"]) }

// NSs is dvr_chassis_router_namespaces.
func (m Metrics) NSs() int { return int(m["dvr_chassis_router_namespaces"]) }

// NbCfg is dvr_chassis_nb_cfg.
func (m Metrics) NbCfg() int { return int(m["dvr_chassis_nb_cfg"]) }

// Quiet waits until no round has run for d (at most max) and returns the
// last scrape.
func (s *Scraper) Quiet(d, max time.Duration) (Metrics, error) {
	deadline := time.Now().Add(max)
	m, err := s.Get()
	if err != nil {
		return nil, err
	}
	since := time.Now()
	for time.Now().Before(deadline) {
		time.Sleep(25 * time.Millisecond)
		m2, err := s.Get()
		if err != nil {
			return nil, err
		}
		if m2.Rounds() != m.Rounds() || m2["dvr_chassis_round_failures_total"] != m["dvr_chassis_round_failures_total"] {
			m, since = m2, time.Now()
			continue
		}
		if time.Since(since) >= d {
			return m2, nil
		}
	}
	return m, fmt.Errorf("dvr-chassis still running rounds after %v", max)
}

// Profile fetches a CPU profile of d seconds into w.
func (s *Scraper) Profile(w io.Writer, d time.Duration) error {
	return s.Fetch(fmt.Sprintf("/debug/pprof/profile?seconds=%d", int(d.Seconds())), func(r io.Reader) error {
		_, err := io.Copy(w, r)
		return err
	})
}

// Fetch GETs path (e.g. "/debug/pprof/heap?gc=1") from dvr-chassis'
// metrics address and hands read the body of a 200 reply.
func (s *Scraper) Fetch(path string, read func(io.Reader) error) error {
	resp, err := s.hc.Get(s.url + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s: %s", path, resp.Status)
	}
	return read(resp.Body)
}
