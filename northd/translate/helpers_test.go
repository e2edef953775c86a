package translate_test

import (
	"fmt"
	"maps"

	"github.com/dvr-ovn/dvr/northd/translate"
	fixtures "github.com/dvr-ovn/dvr/ovsdb-fixtures"
)

// inputOf turns fixture NB rows into a translate.Input (NB part only).
func inputOf(r fixtures.NBRows) translate.Input {
	in := translate.Input{
		Switches: map[string]*translate.Switch{}, SwitchPorts: map[string]*translate.SwitchPort{},
		Routers: map[string]*translate.Router{}, RouterPorts: map[string]*translate.RouterPort{},
		Claims: map[string]translate.Claim{}, DatapathKeys: map[string]int{}, PortKeys: map[string]translate.PortKey{},
		DVRMACs: map[string]string{},
	}
	for _, m := range r.Switches {
		in.Switches[m.UUID] = &translate.Switch{UUID: m.UUID, Name: m.Name, Ports: m.Ports}
	}
	for _, m := range r.SwitchPorts {
		in.SwitchPorts[m.UUID] = &translate.SwitchPort{UUID: m.UUID, Name: m.Name, Type: m.Type, Addresses: m.Addresses, Options: m.Options}
	}
	for _, m := range r.Routers {
		in.Routers[m.UUID] = &translate.Router{UUID: m.UUID, Name: m.Name, Ports: m.Ports, Options: m.Options}
	}
	for _, m := range r.RouterPorts {
		in.RouterPorts[m.UUID] = &translate.RouterPort{UUID: m.UUID, Name: m.Name, MAC: m.MAC, Networks: m.Networks}
	}
	return in
}

// carry feeds an output's allocations back as the next round's input, as
// northd does by reading SB.
func carry(in translate.Input, out translate.Output) translate.Input {
	in.DatapathKeys = map[string]int{}
	for u, d := range out.Datapaths {
		in.DatapathKeys[u] = d.Key
	}
	in.PortKeys = map[string]translate.PortKey{}
	for n, p := range out.Ports {
		in.PortKeys[n] = translate.PortKey{Datapath: p.Datapath, Key: p.Key}
	}
	in.DVRMACs = maps.Clone(out.DVRMACs)
	return in
}

// keysByName renders datapath and port keys by name, for comparisons.
func keysByName(out translate.Output) map[string]int {
	m := map[string]int{}
	for _, d := range out.Datapaths {
		m["dp:"+d.Name] = d.Key
	}
	for n, p := range out.Ports {
		m["pb:"+n] = p.Key
	}
	return m
}

func seedInput() translate.Input { return inputOf(fixtures.SeedNB()) }

func uuidOf(in translate.Input, table, name string) string {
	switch table {
	case "ls":
		for u, s := range in.Switches {
			if s.Name == name {
				return u
			}
		}
	case "lr":
		for u, r := range in.Routers {
			if r.Name == name {
				return u
			}
		}
	case "lsp":
		for u, p := range in.SwitchPorts {
			if p.Name == name {
				return u
			}
		}
	}
	panic(fmt.Sprintf("no %s %s", table, name))
}
