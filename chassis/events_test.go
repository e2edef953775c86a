package chassis

import (
	"testing"

	"github.com/dvr-ovn/dvr/internal/sbdb"
)

func TestEventFilter(t *testing.T) {
	c := &Chassis{}
	n := 0
	f := &eventFilter{relevant: c.relevantSB}
	poke := f.poke(func() { n++ })
	other := &sbdb.ChassisPrivate{Name: "hv2"}
	f.event(sbdb.ChassisPrivateTable, nil, other)
	poke()
	if n != 1 {
		t.Fatalf("before the name is known every event pokes: %d", n)
	}
	name := "hv1"
	c.ownName.Store(&name)
	f.event(sbdb.ChassisPrivateTable, other, other)
	poke()
	f.event(sbdb.ChassisPrivateTable, nil, &sbdb.ChassisPrivate{Name: "hv1"})
	poke()
	f.event(sbdb.PortBindingTable, nil, &sbdb.PortBinding{})
	poke()
	poke() // a client change: no event before it
	if n != 4 {
		t.Errorf("pokes = %d, want 4 (another chassis' report dropped)", n)
	}
}
