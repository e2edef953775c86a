package flows

import (
	"reflect"
	"testing"
)

func TestParseDump(t *testing.T) {
	got, err := ParseDump(` cookie=0xd7c0010000000000, priority=65535,dl_vlan=4095 actions=drop
 cookie=0xd7c0010000000000, priority=0 actions=goto_table:60
 cookie=0xd7c0090000000000, table=20, hard_timeout=300, priority=1,vlan_tci=0x0001/0x0fff,dl_dst=fa:16:3e:00:01:0c actions=load:0->NXM_OF_VLAN_TCI[],load:0x2->NXM_NX_TUN_ID[],output:2
 table=1, priority=20,dl_vlan=1,dl_dst=fa:16:3e:00:01:0b actions=set_field:fa:16:3e:00:ff:01->eth_src,goto_table:60
 in_port=3 actions=drop
`)
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		entry(0, 65535, "dl_vlan=4095", NewCookie(CatBase, 0), "drop"),
		entry(0, 0, "", NewCookie(CatBase, 0), "goto_table:60"),
		entry(20, 1, "vlan_tci=0x0001/0x0fff,dl_dst=fa:16:3e:00:01:0c", NewCookie(CatLearned, 0),
			"load:0->NXM_OF_VLAN_TCI[],load:0x2->NXM_NX_TUN_ID[],output:2"),
		entry(1, 20, "dl_vlan=1,dl_dst=fa:16:3e:00:01:0b", 0, "set_field:fa:16:3e:00:ff:01->eth_src,goto_table:60"),
		entry(0, 32768, "in_port=3", 0, "drop"),
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseDump:\n got %+v\nwant %+v", got, want)
	}
	if _, err := ParseDump("priority=1 no actions"); err == nil {
		t.Fatal("a line without actions parsed")
	}
}
