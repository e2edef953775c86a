package addr

import (
	"strings"
	"testing"
)

func TestParseMAC(t *testing.T) {
	for in, want := range map[string]string{
		"fa:16:3e:00:01:0b": "fa:16:3e:00:01:0b",
		"FA:16:3E:00:01:0B": "fa:16:3e:00:01:0b",
		"02:00:00:00:00:01": "02:00:00:00:00:01",
	} {
		if got, err := ParseMAC(in); err != nil || got != want {
			t.Errorf("ParseMAC(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "fa:16:3e:00:01", "fa-16-3e-00-01-0b", "fa16.3e00.010b", "zz:16:3e:00:01:0b",
		"01:00:5e:00:00:01", "ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00", "fa:16:3e:00:01:0b:00:00"} {
		if _, err := ParseMAC(bad); err == nil {
			t.Errorf("ParseMAC(%q) accepted", bad)
		}
	}
}

func TestParsePortAddress(t *testing.T) {
	ok := map[string]string{
		"router":                                "router",
		"unknown":                               "unknown",
		"fa:16:3e:00:01:0b":                     "fa:16:3e:00:01:0b",
		"FA:16:3E:00:01:0B  10.0.1.11":          "fa:16:3e:00:01:0b 10.0.1.11",
		"fa:16:3e:00:01:0b 10.0.1.11 fd00::b":   "fa:16:3e:00:01:0b 10.0.1.11 fd00::b",
		"fa:16:3e:00:01:0b fd00:0:0:0:0:0:0:0b": "fa:16:3e:00:01:0b fd00::b",
	}
	for in, want := range ok {
		pa, err := ParsePortAddress(in)
		if err != nil || pa.String() != want {
			t.Errorf("ParsePortAddress(%q) = %q, %v; want %q", in, pa.String(), err, want)
		}
	}
	bad := map[string]string{
		"":                                         "empty",
		"dynamic":                                  "dynamic",
		"fa:16:3e:00:01:0b dynamic":                "dynamic",
		"fa:16:3e:00:01:0b 10.0.1.300":             "10.0.1.300",
		"fa:16:3e:00:01:0b 10.0.1.1/24":            "prefix",
		"10.0.1.1 fa:16:3e:00:01:0b":               "MAC must come before",
		"fa:16:3e:00:01:0b 224.0.0.1":              "unicast",
		"fa:16:3e:00:01:0b 0.0.0.0":                "unicast",
		"fa:16:3e:00:01:0b fe80::1%eth0":           "fe80::1%eth0",
		"fa:16:3e:00:01:0b ::ffff:10.0.0.1":        "IPv4-mapped",
		"fa:16:3e:00:01:0b 10.0.1.11 10.0.1.11":    "twice",
		"router fa:16:3e:00:01:0b":                 "router",
		"fa:16:3e:00:01:0b 10.0.1.11 dynamic 10.1": "dynamic",
	}
	for in, want := range bad {
		_, err := ParsePortAddress(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParsePortAddress(%q) error %v, want it to mention %q", in, err, want)
		}
	}
}

func TestParseNetwork(t *testing.T) {
	for _, good := range []string{"10.0.1.1/24", "10.0.1.254/24", "192.168.0.1/30", "10.0.0.0/31", "10.0.0.1/32", "fd00::1/64", "172.16.0.1/12"} {
		if _, err := ParseNetwork(good); err != nil {
			t.Errorf("ParseNetwork(%q): %v", good, err)
		}
	}
	for bad, want := range map[string]string{
		"10.0.1.1":      "prefix length is required",
		"10.0.1.1/0":    "prefix length 0",
		"::1/0":         "prefix length 0",
		"10.0.1.0/24":   "network address",
		"10.0.1.255/24": "broadcast address",
		"10.0.1.3/30":   "broadcast address",
		"fd00::/64":     "network address",
		"10.0.1.300/24": "invalid network address",
		"10.0.1.1/33":   "invalid network address",
		"foo/24":        "invalid network address",
		"224.0.0.1/24":  "not a unicast",
	} {
		_, err := ParseNetwork(bad)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), bad) {
			t.Errorf("ParseNetwork(%q) error %v, want %q and the value", bad, err, want)
		}
	}
}

func TestOverlaps(t *testing.T) {
	a, _ := ParseNetwork("10.0.1.1/24")
	b, _ := ParseNetwork("10.0.1.129/25")
	c, _ := ParseNetwork("10.0.2.1/24")
	if !Overlaps(a, b) || Overlaps(a, c) {
		t.Fatal("overlap wrong")
	}
}
