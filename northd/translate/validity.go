package translate

import (
	"errors"
	"fmt"

	"github.com/dvr-ovn/dvr/internal/nbvalid"
)

// subnetsOf are the subnets of the router interfaces attached to switch
// sw, for nbvalid.VMOnSubnets. Attachments change only in a full round,
// and a switch's are all recorded before its VM ports are parsed, so the
// list is built once per switch and kept for the State's life.
func (s *state) subnetsOf(sw string) []nbvalid.Subnet {
	if s.subnets == nil {
		s.subnets = map[string][]nbvalid.Subnet{}
	}
	if sn, ok := s.subnets[sw]; ok {
		return sn
	}
	var sn []nbvalid.Subnet
	for _, a := range s.attached[sw] {
		for _, n := range a.networks {
			sn = append(sn, nbvalid.Subnet{Prefix: n, Owner: "router port " + a.lrp.Name})
		}
	}
	s.subnets[sw] = sn
	return sn
}

// badField words an nbvalid error as northd's Problems do: which column,
// which value, why.
func badField(err error) string {
	var fe *nbvalid.FieldError
	if !errors.As(err, &fe) {
		return err.Error()
	}
	col := map[string]string{"addresses": "address", "networks": "network"}[fe.Column]
	if col == "" {
		col = fe.Column
	}
	if fe.Value == "" && fe.Column == "networks" {
		return "no networks: " + fe.Err.Error()
	}
	return fmt.Sprintf("bad %s %q: %v", col, fe.Value, fe.Err)
}
