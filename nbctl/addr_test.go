package nbctl

import (
	"slices"
	"strings"
	"testing"
)

func TestParseMAC(t *testing.T) {
	for in, want := range map[string]string{
		"fa:16:3e:00:01:0b": "fa:16:3e:00:01:0b",
		"FA:16:3E:00:01:0B": "fa:16:3e:00:01:0b",
		"02:00:00:00:00:01": "02:00:00:00:00:01",
	} {
		if got, err := parseMAC(in); err != nil || got != want {
			t.Errorf("parseMAC(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "fa:16:3e:00:01", "fa-16-3e-00-01-0b", "fa16.3e00.010b", "zz:16:3e:00:01:0b",
		"01:00:5e:00:00:01", "ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00", "fa:16:3e:00:01:0b:00:00"} {
		if _, err := parseMAC(bad); err == nil {
			t.Errorf("parseMAC(%q) accepted", bad)
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
		pa, err := parsePortAddress(in)
		if err != nil || pa.String() != want {
			t.Errorf("parsePortAddress(%q) = %q, %v; want %q", in, pa.String(), err, want)
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
		_, err := parsePortAddress(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parsePortAddress(%q) error %v, want it to mention %q", in, err, want)
		}
	}
}

func TestParseNetwork(t *testing.T) {
	for _, good := range []string{"10.0.1.1/24", "10.0.1.254/24", "192.168.0.1/30", "10.0.0.0/31", "10.0.0.1/32", "fd00::1/64", "172.16.0.1/12"} {
		if _, err := parseNetwork(good); err != nil {
			t.Errorf("parseNetwork(%q): %v", good, err)
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
		_, err := parseNetwork(bad)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), bad) {
			t.Errorf("parseNetwork(%q) error %v, want %q and the value", bad, err, want)
		}
	}
}

func TestOverlaps(t *testing.T) {
	a, _ := parseNetwork("10.0.1.1/24")
	b, _ := parseNetwork("10.0.1.129/25")
	c, _ := parseNetwork("10.0.2.1/24")
	if !overlaps(a, b) || overlaps(a, c) {
		t.Fatal("overlap wrong")
	}
}

func TestCheckName(t *testing.T) {
	for _, good := range []string{"sw1", "süß", "with space", "$(x)", "🙂"} {
		if err := checkName("switch", good); err != nil {
			t.Errorf("checkName(%q): %v", good, err)
		}
	}
	for _, bad := range []string{"", "-x", "a\tb", "a\x00b", "\xff", "01234567-89ab-cdef-0123-456789abcdef"} {
		if err := checkName("switch", bad); err == nil {
			t.Errorf("checkName(%q) accepted", bad)
		}
	}
}

func TestSplitGlobal(t *testing.T) {
	cases := []struct {
		in            []string
		globals, rest []string
	}{
		{[]string{"--db", "unix:x", "ls-add", "a"}, []string{"--db", "unix:x"}, []string{"ls-add", "a"}},
		{[]string{"--db=unix:x", "--may-exist", "ls-add", "a"}, []string{"--db=unix:x"}, []string{"--may-exist", "ls-add", "a"}},
		{[]string{"--may-exist", "--wait=sb", "ls-add", "a"}, []string{"--wait=sb"}, []string{"--may-exist", "ls-add", "a"}},
		{[]string{"ls-add", "a", "--", "--may-exist", "ls-add", "b"}, nil, []string{"ls-add", "a", "--", "--may-exist", "ls-add", "b"}},
		{[]string{"-t", "5", "-f", "json", "show"}, []string{"-t", "5", "-f", "json"}, []string{"show"}},
	}
	for _, c := range cases {
		g, r := SplitGlobal(c.in)
		if !slices.Equal(g, c.globals) || !slices.Equal(r, c.rest) {
			t.Errorf("SplitGlobal(%q) = %q, %q", c.in, g, r)
		}
	}
}

func TestParseChain(t *testing.T) {
	invs, err := parseChain([]string{"ls-add", "a", "--", "--may-exist", "ls-add", "b", "--", "--if-exists", "ls-del", "c"})
	if err != nil || len(invs) != 3 || !invs[1].opts["--may-exist"] || !invs[2].opts["--if-exists"] {
		t.Fatalf("parseChain: %v %+v", err, invs)
	}
	for args, want := range map[string]string{
		"":                        "missing command name",
		"ls-add a --":             "missing command name",
		"-- ls-add a":             "missing command name",
		"--may-exist":             "missing command name",
		"--bogus ls-add a":        "--bogus: unknown option",
		"--if-exists ls-add a":    "has no '--if-exists' option",
		"nosuch":                  "unknown command 'nosuch'",
		"lrp-add r1 p":            "requires at least 4 arguments",
		"ls-list x":               "takes at most 0 arguments",
		"ls-add a -- ls-del":      "requires at least 1 arguments",
		"ls-add a -- bogus-cmd y": "unknown command 'bogus-cmd'",
	} {
		_, err := parseChain(strings.Fields(args))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseChain(%q) error %v, want %q", args, err, want)
		}
	}
}
