package ofctrl

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/dvr-ovn/dvr/chassis/flows"
)

// readFlow is one flow of a flow-stats reply, slices into the reply.
type readFlow struct {
	table    uint8
	priority uint16
	cookie   flows.Cookie
	match    []byte // OXM TLVs, in OVS's order
	instr    []byte
}

// readFlows asks for every flow whose cookie is ours (one OFPMP_FLOW
// request, all tables) and calls fn for each as the replies arrive
// (several, chained by OFPMPF_REPLY_MORE).
func readFlows(ctx context.Context, c *conn, fn func(readFlow) error) error {
	xid := c.nextXID()
	w := c.wait(xid, 1)
	defer c.unwait(w)
	if err := c.send(flowStatsRequest(xid, uint64(flows.CookieOwner), uint64(flows.CookieOwnerMask))); err != nil {
		return err
	}
	for {
		m, err := c.next(ctx, w)
		if err != nil {
			return fmt.Errorf("bridge %s: read back flows: %w", c.bridge, err)
		}
		if m[1] == typeError {
			return fmt.Errorf("bridge %s: read back flows: %w", c.bridge, parseError(m))
		}
		if m[1] != typeMultipartRep || len(m) < 16 || be16(m[8:]) != multipartFlow {
			return fmt.Errorf("bridge %s: read back flows: unexpected reply of type %d", c.bridge, m[1])
		}
		for b := m[16:]; len(b) > 0; {
			f, n, err := parseFlowStats(b)
			if err != nil {
				return fmt.Errorf("bridge %s: read back flows: %w", c.bridge, err)
			}
			if err := fn(f); err != nil {
				return err
			}
			b = b[n:]
		}
		if be16(m[10:])&multipartMore == 0 {
			return nil
		}
	}
}

// parseFlowStats reads one ofp_flow_stats; n is its length.
func parseFlowStats(b []byte) (readFlow, int, error) {
	if len(b) < 56 {
		return readFlow{}, 0, fmt.Errorf("flow stats entry of %d bytes", len(b))
	}
	n := int(be16(b))
	if n < 56 || n > len(b) {
		return readFlow{}, 0, fmt.Errorf("flow stats entry length %d of %d bytes", n, len(b))
	}
	mlen := int(be16(b[50:]))
	mpad := (mlen + 7) / 8 * 8
	if be16(b[48:]) != 1 || mlen < 4 || 48+mpad > n {
		return readFlow{}, 0, fmt.Errorf("flow stats entry with a bad match (type %d, length %d)", be16(b[48:]), mlen)
	}
	return readFlow{
		table:    b[2],
		priority: be16(b[12:]),
		cookie:   flows.Cookie(binary.BigEndian.Uint64(b[24:])),
		match:    b[52 : 48+mlen],
		instr:    b[48+mpad : n],
	}, n, nil
}

// canonKey is a flow's identity in bytes: table, priority and the match
// TLVs sorted (OVS writes them in its own order, not ours).
func canonKey(table uint8, priority uint16, tlvs []byte) (string, error) {
	var parts [][]byte
	for b := tlvs; len(b) > 0; {
		if len(b) < 4 {
			return "", fmt.Errorf("truncated OXM header in match %x", tlvs)
		}
		n := 4 + int(b[3])
		if n > len(b) {
			return "", fmt.Errorf("truncated OXM field in match %x", tlvs)
		}
		parts = append(parts, b[:n])
		b = b[n:]
	}
	sort.Slice(parts, func(i, j int) bool { return bytes.Compare(parts[i], parts[j]) < 0 })
	k := make([]byte, 0, 3+len(tlvs))
	k = append(k, table, byte(priority>>8), byte(priority))
	for _, p := range parts {
		k = append(k, p...)
	}
	return string(k), nil
}

// desiredRef is a desired flow as the read-back looks it up.
type desiredRef struct {
	e            flows.Entry
	match, instr []byte
}

// readBack turns the flows of ours on the bridge into installed records
// without decoding actions: a flow whose table, priority and match
// (canonical bytes) are a desired flow's takes that flow's identity, and
// its actions too when its instructions are byte for byte our encoding of
// the desired actions and its cookie is the desired one (else a
// placeholder's, which makes it a Modify). A flow matching no desired
// flow gets a placeholder identity, and keeps the match OVS gave for the
// strict delete. Learned flows are left out.
func readBack(ctx context.Context, c *conn, h hasher, desired []flows.Entry) (map[flowID]instFlow, error) {
	installed := map[flowID]instFlow{}
	var idx map[string]desiredRef // built at the first flow: an empty bridge costs no compiling
	err := readFlows(ctx, c, func(f readFlow) error {
		if !f.cookie.Ours() || f.cookie.Learned() {
			return nil
		}
		if idx == nil {
			idx = index(desired)
		}
		id, r, err := h.readRecord(idx, f)
		if err != nil {
			return err
		}
		installed[id] = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return installed, nil
}

// readRecord is the installed record of one flow read back, given the
// desired flows by canonical identity (index).
func (h hasher) readRecord(idx map[string]desiredRef, f readFlow) (flowID, instFlow, error) {
	k, err := canonKey(f.table, f.priority, f.match)
	if err != nil {
		return flowID{}, instFlow{}, err
	}
	if d, ok := idx[k]; ok {
		r := installedFlow(h, d.e, d.match)
		r.cookie = f.cookie
		if !bytes.Equal(f.instr, d.instr) {
			r.actions = h.actions("<read back: instructions " + hex.EncodeToString(f.instr) + ">")
		}
		return h.id(d.e.Key), r, nil
	}
	key := flows.Key{Table: f.table, Priority: f.priority, Match: "<read back: match " + hex.EncodeToString(f.match) + ">"}
	return h.id(key), instFlow{cookie: f.cookie, actions: h.actions("<read back>"), match: string(f.match),
		priority: f.priority, table: f.table}, nil
}

// index is the desired flows by canonical identity.
func index(desired []flows.Entry) map[string]desiredRef {
	idx := make(map[string]desiredRef, len(desired))
	for _, e := range desired {
		if e.Cookie.Learned() {
			continue
		}
		comp, err := compile(e)
		if err != nil {
			continue // reported when Sync tries to add it
		}
		k, err := canonKey(e.Table, e.Priority, comp.match)
		if err != nil {
			continue
		}
		idx[k] = desiredRef{e: e, match: comp.match, instr: comp.instr}
	}
	return idx
}
