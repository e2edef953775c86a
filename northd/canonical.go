package northd

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/dvr-ovn/dvr/internal/sbkeys"
)

// Canonical renders the SB rows northd owns (and the chassis columns of
// Port_Binding) as sorted text with every UUID replaced by the name of
// what it stands for: the form of the golden fixtures, and a readable
// dump for operators. nb supplies the names of NB UUIDs.
func Canonical(nb *NBState, sb *SBState) string {
	names := map[string]string{}
	for _, r := range nb.Switches {
		names[r.UUID] = "ls:" + r.Name
	}
	for _, r := range nb.Routers {
		names[r.UUID] = "lr:" + r.Name
	}
	for _, r := range nb.RouterPorts {
		names[r.UUID] = "lrp:" + r.Name
	}
	for _, r := range nb.SwitchPorts {
		names[r.UUID] = "lsp:" + r.Name
	}
	dpName := map[string]string{}
	for _, d := range sb.Datapaths {
		dpName[d.UUID] = d.ExternalIDs[sbkeys.KeyName]
	}
	chassis := map[string]string{}
	for _, c := range sb.Chassis {
		chassis[c.UUID] = c.Name
	}
	name := func(u string) string {
		if n, ok := names[u]; ok {
			return n
		}
		return "?" + u
	}
	ids := func(m map[string]string) string {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(m)) {
			v := m[k]
			if k == sbkeys.KeyLogicalSwitch || k == sbkeys.KeyLogicalRouter || k == sbkeys.KeyLogicalRouterPort {
				v = name(v)
			}
			parts = append(parts, k+"="+v)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	var lines []string
	for _, d := range sb.Datapaths {
		lines = append(lines, fmt.Sprintf("Datapath_Binding %s key=%d external_ids=%s", d.ExternalIDs[sbkeys.KeyName], d.TunnelKey, ids(d.ExternalIDs)))
	}
	for _, p := range sb.Ports {
		ch, up := "-", "-"
		if p.Chassis != nil {
			ch = chassis[*p.Chassis]
		}
		if p.Up != nil {
			up = fmt.Sprint(*p.Up)
		}
		mac := slices.Clone(p.MAC)
		sort.Strings(mac)
		lines = append(lines, fmt.Sprintf("Port_Binding %s/%s key=%d type=%q mac=%q options=%s external_ids=%s chassis=%s up=%s",
			dpName[p.Datapath], p.LogicalPort, p.TunnelKey, p.Type, mac, ids(p.Options), ids(p.ExternalIDs), ch, up))
	}
	for _, m := range sb.MACs {
		lines = append(lines, fmt.Sprintf("DVR_MAC_Binding %s mac=%s", m.ChassisName, m.MAC))
	}
	for _, b := range sb.RouterBindings {
		lines = append(lines, fmt.Sprintf("DVR_Router_Binding %s chassis=%s", dpName[b.Datapath], b.ChassisName))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}
