package nbctl

import (
	"slices"
	"strings"
	"testing"
)

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
		{[]string{"--sb-db", "unix:y", "--wait", "hv", "sync"}, []string{"--sb-db", "unix:y", "--wait", "hv"}, []string{"sync"}},
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
