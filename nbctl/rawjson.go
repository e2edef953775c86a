package nbctl

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// A minimal reader of the JSON ovsdb-server sends back for the reads of
// whole parents (thousands of rows): it walks the bytes once and hands out
// sub-slices, with no reflection and no intermediate maps. Everything it
// does not recognise is an error, and the caller falls back to nothing:
// the reply comes from ovsdb-server, which always sends valid JSON.

var errShape = errors.New("unexpected JSON from the server")

// skipWS returns the index of the first non-space byte at or after i.
func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// valueEnd returns the index just past the JSON value starting at b[i].
func valueEnd(b []byte, i int) (int, error) {
	i = skipWS(b, i)
	if i >= len(b) {
		return 0, errShape
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '[', '{':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				e, err := stringEnd(b, i)
				if err != nil {
					return 0, err
				}
				i = e
				continue
			case '[', '{':
				depth++
			case ']', '}':
				depth--
				if depth == 0 {
					return i + 1, nil
				}
			}
			i++
		}
		return 0, errShape
	default: // number, true, false, null
		for i < len(b) && b[i] != ',' && b[i] != ']' && b[i] != '}' && b[i] != ' ' && b[i] != '\n' {
			i++
		}
		return i, nil
	}
}

// stringEnd returns the index just past the JSON string starting at b[i].
func stringEnd(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errShape
}

// eachElem calls f with each element of the JSON array b.
func eachElem(b []byte, f func(elem []byte) error) error {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '[' {
		return errShape
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == ']' {
		return nil
	}
	for i < len(b) {
		e, err := valueEnd(b, i)
		if err != nil {
			return err
		}
		if err := f(b[skipWS(b, i):e]); err != nil {
			return err
		}
		i = skipWS(b, e)
		if i < len(b) && b[i] == ']' {
			return nil
		}
		if i >= len(b) || b[i] != ',' {
			return errShape
		}
		i++
	}
	return errShape
}

// eachField calls f with each member of the JSON object b (key unquoted).
func eachField(b []byte, f func(key string, val []byte) error) error {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errShape
	}
	i = skipWS(b, i+1)
	if i < len(b) && b[i] == '}' {
		return nil
	}
	for i < len(b) {
		i = skipWS(b, i)
		ke, err := stringEnd(b, i)
		if err != nil || b[i] != '"' {
			return errShape
		}
		key, err := jsonString(b[i:ke])
		if err != nil {
			return err
		}
		i = skipWS(b, ke)
		if i >= len(b) || b[i] != ':' {
			return errShape
		}
		ve, err := valueEnd(b, i+1)
		if err != nil {
			return err
		}
		if err := f(key, b[skipWS(b, i+1):ve]); err != nil {
			return err
		}
		i = skipWS(b, ve)
		if i < len(b) && b[i] == '}' {
			return nil
		}
		if i >= len(b) || b[i] != ',' {
			return errShape
		}
		i++
	}
	return errShape
}

// jsonString decodes a JSON string token.
func jsonString(b []byte) (string, error) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", fmt.Errorf("%w: want a string, got %.40s", errShape, b)
	}
	plain := true
	for _, c := range b[1 : len(b)-1] {
		if c == '\\' {
			plain = false
			break
		}
	}
	if plain {
		return string(b[1 : len(b)-1]), nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

// ovsPair splits an OVSDB tagged value ["set", X], ["map", X], ["uuid", X]
// into its tag and X; ok is false for a bare atom.
func ovsPair(b []byte) (tag string, x []byte, ok bool, err error) {
	if len(b) == 0 || b[0] != '[' {
		return "", nil, false, nil
	}
	i := skipWS(b, 1)
	te, err := valueEnd(b, i)
	if err != nil {
		return "", nil, false, err
	}
	if tag, err = jsonString(b[i:te]); err != nil {
		return "", nil, false, err
	}
	i = skipWS(b, te)
	if i >= len(b) || b[i] != ',' {
		return "", nil, false, errShape
	}
	i = skipWS(b, i+1)
	xe, err := valueEnd(b, i)
	if err != nil {
		return "", nil, false, err
	}
	if e := skipWS(b, xe); e != len(b)-1 || b[e] != ']' {
		return "", nil, false, errShape
	}
	return tag, b[i:xe], true, nil
}

// ovsStrings decodes an OVSDB set of strings (a bare string is a set of one).
func ovsStrings(b []byte) ([]string, error) {
	tag, x, ok, err := ovsPair(b)
	if err != nil {
		return nil, err
	}
	if !ok {
		s, err := jsonString(b)
		return []string{s}, err
	}
	if tag != "set" {
		return nil, fmt.Errorf("%w: want a set, got %q", errShape, tag)
	}
	out := []string{}
	err = eachElem(x, func(e []byte) error {
		s, err := jsonString(e)
		out = append(out, s)
		return err
	})
	return out, err
}

// ovsOptString decodes an optional string (a set of 0 or 1).
func ovsOptString(b []byte) (*string, error) {
	ss, err := ovsStrings(b)
	if err != nil || len(ss) == 0 {
		return nil, err
	}
	return &ss[0], nil
}

// ovsUUIDs decodes an OVSDB set of UUIDs (a bare ["uuid", U] is a set of one).
func ovsUUIDs(b []byte) ([]string, error) {
	tag, x, ok, err := ovsPair(b)
	if err != nil || !ok {
		return nil, errShape
	}
	if tag == "uuid" {
		u, err := jsonString(x)
		return []string{u}, err
	}
	if tag != "set" {
		return nil, errShape
	}
	out := []string{}
	err = eachElem(x, func(e []byte) error {
		t, u, ok, err := ovsPair(e)
		if err != nil || !ok || t != "uuid" {
			return errShape
		}
		s, err := jsonString(u)
		out = append(out, s)
		return err
	})
	return out, err
}

// ovsStringMap decodes an OVSDB map of strings to strings.
func ovsStringMap(b []byte) (map[string]string, error) {
	tag, x, ok, err := ovsPair(b)
	if err != nil || !ok || tag != "map" {
		return nil, errShape
	}
	out := map[string]string{}
	err = eachElem(x, func(e []byte) error {
		var kv [][]byte
		if err := eachElem(e, func(p []byte) error { kv = append(kv, p); return nil }); err != nil || len(kv) != 2 {
			return errShape
		}
		k, err := jsonString(kv[0])
		if err != nil {
			return err
		}
		v, err := jsonString(kv[1])
		out[k] = v
		return err
	})
	return out, err
}

// ovsOptInt decodes an optional integer (a set of 0 or 1).
func ovsOptInt(b []byte) (*int, error) {
	if tag, x, ok, err := ovsPair(b); err != nil {
		return nil, err
	} else if ok {
		if tag != "set" {
			return nil, errShape
		}
		var v *int
		err := eachElem(x, func(e []byte) error {
			n, err := strconv.Atoi(string(e))
			v = &n
			return err
		})
		return v, err
	}
	n, err := strconv.Atoi(string(b))
	return &n, err
}

// ovsOptBool decodes an optional boolean (a set of 0 or 1).
func ovsOptBool(b []byte) (*bool, error) {
	parse := func(e []byte) (*bool, error) {
		switch string(e) {
		case "true":
			return ptr(true), nil
		case "false":
			return ptr(false), nil
		}
		return nil, errShape
	}
	if tag, x, ok, err := ovsPair(b); err != nil {
		return nil, err
	} else if ok {
		if tag != "set" {
			return nil, errShape
		}
		var v *bool
		err := eachElem(x, func(e []byte) error {
			var err error
			v, err = parse(e)
			return err
		})
		return v, err
	}
	return parse(b)
}
