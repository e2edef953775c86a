package sbkeys

import (
	"testing"

	"github.com/dvr-ovn/dvr/internal/sbdb"
)

func TestDatapathIdentity(t *testing.T) {
	for _, c := range []struct {
		ids  map[string]string
		want string
	}{
		{map[string]string{KeyName: "sw1", KeyLogicalSwitch: "ls-uuid"}, "ls-uuid"},
		{map[string]string{KeyName: "r1", KeyLogicalRouter: "lr-uuid"}, "lr-uuid"},
		{map[string]string{KeyLogicalSwitch: "ls-uuid", KeyLogicalRouter: "lr-uuid"}, "ls-uuid"},
		{map[string]string{KeyName: "other"}, ""},
		{nil, ""},
	} {
		if got := DatapathIdentity(&sbdb.DatapathBinding{ExternalIDs: c.ids}); got != c.want {
			t.Errorf("DatapathIdentity(%v) = %q, want %q", c.ids, got, c.want)
		}
	}
}
