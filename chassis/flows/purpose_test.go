package flows

import (
	"net/netip"
	"testing"
)

// Every flow Compute makes has a purpose, and every table a name of its own.
func TestEveryFlowHasAPurpose(t *testing.T) {
	for _, ch := range chassisNames(seed()) {
		r := Compute(seed().input(ch))
		for _, br := range []Bridge{BrInt, BrTun} {
			for _, f := range r.Flows(br) {
				if Purpose(f.Table, f.Priority, f.Cookie.Category()) == "" {
					t.Errorf("%s: %s priority %d (%s) has no purpose", ch, f.Table, f.Priority, f.Cookie.Describe())
				}
			}
		}
	}
	for _, br := range []Bridge{BrInt, BrTun} {
		for _, tb := range Tables(br) {
			if got, ok := TableOf(br, tb.Num()); !ok || got != tb {
				t.Errorf("TableOf(%s, %d) = %v, %v", br, tb.Num(), got, ok)
			}
		}
	}
	if _, ok := TableOf(BrInt, 7); ok {
		t.Error("br-int has no table 7")
	}
}

// The cookie's object splits back into what made it.
func TestCookieObjectsRoundTrip(t *testing.T) {
	c := NewCookie(CatRouterPort, PortObject(0xabcdef, 0x1234))
	if dp, p := PortKeys(c.Object()); dp != 0xabcdef || p != 0x1234 {
		t.Errorf("PortKeys = %#x, %#x", dp, p)
	}
	ip := netip.MustParseAddr("10.0.0.2")
	if got := IPv4(NewCookie(CatTunnel, IPv4Object(ip)).Object()); got != ip {
		t.Errorf("IPv4 = %s", got)
	}
	o, ok := MACObject("fa:16:3f:00:00:02")
	if !ok || o != 0x163f000002 {
		t.Errorf("MACObject = %#x, %v", o, ok)
	}
	if _, ok := MACObject("nope"); ok {
		t.Error("MACObject accepted nope")
	}
}
