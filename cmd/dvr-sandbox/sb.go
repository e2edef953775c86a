package main

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"

	"github.com/dvr-ovn/dvr/internal/sbkeys"
)

// row is one OVSDB row as ovsdb-client returns it.
type row map[string]any

// sbSelect reads columns of every row of an SB table with ovsdb-client.
func sbSelect(sb, table string, columns ...string) ([]row, error) {
	op := map[string]any{"op": "select", "table": table, "where": []any{}, "columns": columns}
	req, _ := json.Marshal([]any{"OVN_Southbound", op})
	out, err := exec.Command("ovsdb-client", "transact", sb, string(req)).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("ovsdb-client transact %s: %v: %s", sb, err, strings.TrimSpace(string(out)))
	}
	var res []struct {
		Rows  []row  `json:"rows"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(out, &res); err != nil || len(res) == 0 {
		return nil, fmt.Errorf("ovsdb-client: %q", out)
	}
	if res[0].Error != "" {
		return nil, fmt.Errorf("select %s: %s", table, res[0].Error)
	}
	return res[0].Rows, nil
}

func (r row) str(col string) string {
	a := atoms(r[col])
	if len(a) == 0 {
		return ""
	}
	return a[0]
}

// atoms decodes an atom, ["set",[...]] or ["uuid",U] into strings.
func atoms(v any) []string {
	a, ok := v.([]any)
	if !ok {
		if f, ok := v.(float64); ok {
			return []string{fmt.Sprint(int64(f))}
		}
		return []string{fmt.Sprint(v)}
	}
	switch a[0] {
	case "uuid":
		return []string{a[1].(string)}
	case "set":
		var out []string
		for _, e := range a[1].([]any) {
			out = append(out, atoms(e)...)
		}
		return out
	}
	return nil
}

// smap decodes ["map",[[k,v]...]].
func (r row) smap(col string) map[string]string {
	m := map[string]string{}
	a, ok := r[col].([]any)
	if !ok || len(a) != 2 || a[0] != "map" {
		return m
	}
	for _, kv := range a[1].([]any) {
		p := kv.([]any)
		m[fmt.Sprint(p[0])] = fmt.Sprint(p[1])
	}
	return m
}

// sbNames is what ping and show annotate with: each chassis' DVR MAC, each
// datapath's name by tunnel key and by UUID.
type sbNames struct {
	dvrMAC    map[string]string // chassis → MAC
	vni       map[string]uint32 // datapath name → tunnel key
	dpName    map[string]string // datapath UUID → name
	macOwner  map[string]string // DVR MAC → chassis
	routersOf map[string][]string
	lsName    map[string]string // NB logical switch UUID → name
}

func readSBNames(sb string) (*sbNames, error) {
	n := &sbNames{dvrMAC: map[string]string{}, vni: map[string]uint32{}, dpName: map[string]string{},
		macOwner: map[string]string{}, routersOf: map[string][]string{}, lsName: map[string]string{}}
	macs, err := sbSelect(sb, "DVR_MAC_Binding", "chassis_name", "mac")
	if err != nil {
		return nil, err
	}
	for _, r := range macs {
		n.dvrMAC[r.str("chassis_name")] = r.str("mac")
		n.macOwner[r.str("mac")] = r.str("chassis_name")
	}
	dps, err := sbSelect(sb, "Datapath_Binding", "_uuid", "tunnel_key", "external_ids")
	if err != nil {
		return nil, err
	}
	for _, r := range dps {
		name := r.smap("external_ids")["name"]
		var k uint32
		fmt.Sscan(r.str("tunnel_key"), &k)
		n.vni[name] = k
		n.dpName[r.str("_uuid")] = name
		if ls := r.smap("external_ids")[sbkeys.KeyLogicalSwitch]; ls != "" {
			n.lsName[ls] = name
		}
	}
	rbs, err := sbSelect(sb, "DVR_Router_Binding", "chassis_name", "datapath")
	if err != nil {
		return nil, err
	}
	for _, r := range rbs {
		c := r.str("chassis_name")
		n.routersOf[c] = append(n.routersOf[c], n.dpName[r.str("datapath")])
	}
	return n, nil
}
