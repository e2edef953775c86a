package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/dvr-ovn/dvr/internal/ovsdbrpc"
)

// probeAlt times alternative reads and guards (exploration only).
func probeAlt(ctx context.Context, endpoint string) error {
	c, err := ovsdbrpc.Dial(ctx, endpoint, nil, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	callM := func(method, params string) (time.Duration, json.RawMessage, error) {
		var out json.RawMessage
		t0 := time.Now()
		err := c.Call(ctx, method, json.RawMessage(params), &out)
		return time.Since(t0), out, err
	}
	db := `["OVN_Northbound",`
	_, raw, err := callM("transact", db+`{"op":"select","table":"Logical_Switch","where":[["name","==","`+bigSwitch+`"]],"columns":["ports"]}]`)
	if err != nil {
		return err
	}
	var res []struct {
		Rows []struct {
			Ports []any `json:"ports"`
		} `json:"rows"`
	}
	_ = json.Unmarshal(raw, &res)
	var uuids []string
	for _, u := range res[0].Rows[0].Ports[1].([]any) {
		uuids = append(uuids, u.([]any)[1].(string))
	}
	variants := map[string]func() (string, string){}
	sel := func(cols string) func() (string, string) {
		return func() (string, string) {
			var b strings.Builder
			b.WriteString(db)
			for i, u := range uuids {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, `{"op":"select","table":"Logical_Switch_Port","where":[["_uuid","==",["uuid","%s"]]],"columns":[%s]}`, u, cols)
			}
			b.WriteByte(']')
			return "transact", b.String()
		}
	}
	variants["sel4"] = sel(`"name","type","addresses","options"`)
	variants["sel3"] = sel(`"type","addresses","options"`)
	variants["sel1"] = sel(`"addresses"`)
	variants["sel0"] = sel(``)
	variants["monitor"] = func() (string, string) {
		var b strings.Builder
		b.WriteString(`["OVN_Northbound","probe",{"Logical_Switch_Port":[{"columns":["name","type","addresses","options"],"where":[`)
		for i, u := range uuids {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `["_uuid","==",["uuid","%s"]]`, u)
		}
		b.WriteString(`]}]}]`)
		return "monitor_cond", b.String()
	}
	for _, name := range []string{"sel4", "sel3", "sel1", "sel0", "monitor"} {
		var ts samples
		var n int
		for i := 0; i < 10; i++ {
			m, p := variants[name]()
			d, out, err := callM(m, p)
			if err != nil {
				return fmt.Errorf("%s: %v", name, err)
			}
			n = len(out)
			ts = append(ts, d)
			if m == "monitor_cond" {
				if _, _, err := callM("monitor_cancel", `["probe"]`); err != nil {
					return err
				}
			}
		}
		fmt.Printf("%s: median %s ms, reply %d B\n", name, ms(ts.median()), n)
	}
	return nil
}
