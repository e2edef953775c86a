package nbctl

import (
	"reflect"
	"testing"
)

func TestRawJSONValues(t *testing.T) {
	ss, err := ovsStrings([]byte(`["set",["a","b\"c","\u00e9\\"]]`))
	if err != nil || !reflect.DeepEqual(ss, []string{"a", `b"c`, "é\\"}) {
		t.Errorf("set of strings: %q %v", ss, err)
	}
	if ss, err = ovsStrings([]byte(`"one ] , \" {"`)); err != nil || !reflect.DeepEqual(ss, []string{`one ] , " {`}) {
		t.Errorf("bare string: %q %v", ss, err)
	}
	if ss, err = ovsStrings([]byte(`["set",[]]`)); err != nil || ss == nil || len(ss) != 0 {
		t.Errorf("empty set: %#v %v", ss, err)
	}
	m, err := ovsStringMap([]byte(`["map",[["k","v"],["x]","y,\"z"]]]`))
	if err != nil || !reflect.DeepEqual(m, map[string]string{"k": "v", "x]": `y,"z`}) {
		t.Errorf("map: %v %v", m, err)
	}
	us, err := ovsUUIDs([]byte(`["set",[["uuid","a"],["uuid","b"]]]`))
	if err != nil || !reflect.DeepEqual(us, []string{"a", "b"}) {
		t.Errorf("uuid set: %v %v", us, err)
	}
	if us, err = ovsUUIDs([]byte(`["uuid","a"]`)); err != nil || !reflect.DeepEqual(us, []string{"a"}) {
		t.Errorf("one uuid: %v %v", us, err)
	}
	if n, err := ovsOptInt([]byte(`["set",[42]]`)); err != nil || n == nil || *n != 42 {
		t.Errorf("optional int: %v %v", n, err)
	}
	if n, err := ovsOptInt([]byte(`["set",[]]`)); err != nil || n != nil {
		t.Errorf("absent int: %v %v", n, err)
	}
	if b, err := ovsOptBool([]byte(`false`)); err != nil || b == nil || *b {
		t.Errorf("bare bool: %v %v", b, err)
	}
	var keys []string
	err = eachField([]byte(` { "a" : [1, {"b": "}"}] , "c":null,"d":-1.5e3 } `), func(k string, v []byte) error {
		keys = append(keys, k+"="+string(v))
		return nil
	})
	if err != nil || !reflect.DeepEqual(keys, []string{`a=[1, {"b": "}"}]`, "c=null", "d=-1.5e3"}) {
		t.Errorf("fields: %q %v", keys, err)
	}
	for _, bad := range []string{`["set",["a"]`, `["set"]`, `["map",[["k"]]]`, `{"a" 1}`, `["set",["a"],1]`} {
		if _, err := ovsStrings([]byte(bad)); err == nil {
			if _, err := ovsStringMap([]byte(bad)); err == nil {
				t.Errorf("%s: no error", bad)
			}
		}
	}
}
