package ofctrl

import (
	"bytes"
	"strings"
	"testing"

	"github.com/dvr-ovn/dvr/chassis/flows"
)

func entry(match, actions string) flows.Entry {
	return flows.Entry{Key: flows.Key{Table: 1, Priority: 2, Match: match},
		Cookie: flows.NewCookie(flows.CatBase, 0), Actions: actions}
}

// Unknown or malformed text is an error naming the token and the flow.
func TestCompileErrorsNameTokenAndFlow(t *testing.T) {
	for _, c := range []struct{ match, actions, token string }{
		{"nw_src=1.2.3.4", "drop", `"nw_src=1.2.3.4"`},
		{"dl_vlan=5000", "drop", `"dl_vlan=5000"`},
		{"dl_dst=zz", "drop", `"dl_dst=zz"`},
		{"", "strip_vlan", `"strip_vlan"`},
		{"", "set_tunnel:5", `"set_tunnel:5"`},
		{"", "set_field:5->vlan_vid", `"set_field:5->vlan_vid"`},
		{"", "goto_table:3,drop", `"goto_table:3"`},
		{"", "output:1,drop", `"drop"`},
		{"", "move:NXM_OF_ETH_SRC[]->NXM_OF_ARP_SPA[]", "48 bits"},
		{"", "learn(table=1,NXM_OF_FOO[])", `"NXM_OF_FOO"`},
		{"", "learn(table=1", "unbalanced"},
	} {
		e := entry(c.match, c.actions)
		_, err := compile(e)
		if err == nil {
			t.Errorf("%s: compiled", e)
			continue
		}
		if !strings.Contains(err.Error(), c.token) || !strings.Contains(err.Error(), e.String()) {
			t.Errorf("%s: error %q lacks %s or the flow", e, err, c.token)
		}
	}
}

// The identity of a flow does not depend on the order of its match fields.
func TestCanonKeyIgnoresFieldOrder(t *testing.T) {
	a, err := compileMatch("dl_vlan=5,dl_dst=fa:16:3e:00:00:01,arp,arp_op=2")
	if err != nil {
		t.Fatal(err)
	}
	b, err := compileMatch("arp,arp_op=2,dl_dst=fa:16:3e:00:00:01,dl_vlan=5")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) {
		t.Fatal("test needs two orders")
	}
	ka, _ := canonKey(1, 2, a)
	kb, _ := canonKey(1, 2, b)
	kc, _ := canonKey(1, 3, b)
	if ka != kb || ka == kc {
		t.Fatal("canonKey depends on field order or ignores the priority")
	}
}

func TestHelloVersions(t *testing.T) {
	if vs := helloVersions(hello(1)); len(vs) != 1 || !vs[version13] {
		t.Fatalf("our hello offers %v", vs)
	}
	old := []byte{1, 0, 0, 8, 0, 0, 0, 1} // OpenFlow 1.0 hello, no bitmap
	if vs := helloVersions(old); vs[version13] || !vs[1] {
		t.Fatalf("a 1.0 hello offers %v", vs)
	}
}

// A flow-mod never exceeds what one bundled message can carry.
func TestHugeFlowRefused(t *testing.T) {
	a := strings.Repeat("output:1,", 9000) + "output:2"
	if _, err := compile(entry("", a)); err == nil || !strings.Contains(err.Error(), "does not fit") {
		t.Fatalf("compile of %d actions: %v", 9001, err)
	}
}
