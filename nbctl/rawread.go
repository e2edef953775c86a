package nbctl

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/ovn-org/libovsdb/model"

	"github.com/dvr-ovn/dvr/internal/nbdb"
)

// The reads of a whole parent (every port of a switch or router) go
// through here instead of t.read: the selects are written as JSON by hand,
// sent in a few transactions at once (the server works on one while this
// process decodes the one before), and their rows are decoded by the
// scanner of rawjson.go straight into the models, with only the columns
// the checks need. Each row found is guarded at commit exactly as
// t.read's verifyRows does it: a wait on its UUID asserting the columns
// read, whose row is the server's own JSON copied back. On a switch of
// 5,000 ports this is what made lsp-set-addresses cost server time
// instead of client time (see docs/benchmarks.md, section (c)).

// rawChunk is the number of selects per transaction of a raw read.
const rawChunk = 500

// rawColumn decodes one column of table's row into m; ok is false for a
// column the raw path does not know.
func rawColumn(m model.Model, col string, v []byte) (ok bool, err error) {
	switch m := m.(type) {
	case *nbdb.LogicalSwitchPort:
		switch col {
		case "name":
			m.Name, err = jsonString(v)
		case "type":
			m.Type, err = jsonString(v)
		case "addresses":
			m.Addresses, err = ovsStrings(v)
		case "options":
			m.Options, err = ovsStringMap(v)
		case "parent_name":
			m.ParentName, err = ovsOptString(v)
		case "tag":
			m.Tag, err = ovsOptInt(v)
		case "up":
			m.Up, err = ovsOptBool(v)
		default:
			return false, nil
		}
	case *nbdb.LogicalRouterPort:
		switch col {
		case "name":
			m.Name, err = jsonString(v)
		case "mac":
			m.MAC, err = jsonString(v)
		case "networks":
			m.Networks, err = ovsStrings(v)
		case "peer":
			m.Peer, err = ovsOptString(v)
		case "options":
			m.Options, err = ovsStringMap(v)
		default:
			return false, nil
		}
	case *nbdb.LogicalSwitch:
		if col != "ports" {
			return false, nil
		}
		m.Ports, err = ovsUUIDs(v)
	case *nbdb.LogicalRouter:
		if col != "ports" {
			return false, nil
		}
		m.Ports, err = ovsUUIDs(v)
	default:
		return false, nil
	}
	if err != nil {
		return true, fmt.Errorf("%s: %w", col, err)
	}
	return true, nil
}

// newModel is an empty model of table with UUID u.
func newModel(table, u string) model.Model {
	switch table {
	case nbdb.LogicalSwitchPortTable:
		return &nbdb.LogicalSwitchPort{UUID: u}
	case nbdb.LogicalRouterPortTable:
		return &nbdb.LogicalRouterPort{UUID: u}
	case nbdb.LogicalSwitchTable:
		return &nbdb.LogicalSwitch{UUID: u}
	case nbdb.LogicalRouterTable:
		return &nbdb.LogicalRouter{UUID: u}
	}
	return nil
}

// rawRow is one row of a raw read: its UUID, its JSON object as the
// server sent it, and each requested column's value.
type rawRow struct {
	uuid string
	obj  []byte
	vals [][]byte
}

// readByUUID reads the rows of table with these UUIDs (columns cols, all
// of which rawColumn decodes), merges them into the view and, when
// guard is set, guards each one found with a wait on cols (verifyRows).
// Rows gone meanwhile are skipped.
func (t *txn) readByUUID(table string, uuids, cols []string, guard bool) error {
	if len(uuids) == 0 {
		return nil
	}
	var colList strings.Builder
	for i, c := range cols {
		if i > 0 {
			colList.WriteByte(',')
		}
		colList.WriteString(strconv.Quote(c))
	}
	selPre := `{"op":"select","table":` + strconv.Quote(table) + `,"where":[["_uuid","==",["uuid","`
	selPost := `"]]],"columns":[` + colList.String() + `]}`
	waitPre := `{"op":"wait","table":` + strconv.Quote(table) + `,"timeout":0,"where":[["_uuid","==",["uuid","`
	waitMid := `"]]],"columns":[` + colList.String() + `],"until":"==","rows":[`

	type chunk struct {
		uuids []string
		rows  []*rawRow // nil entries: row gone
		err   error
	}
	var chunks []*chunk
	for lo := 0; lo < len(uuids); lo += rawChunk {
		chunks = append(chunks, &chunk{uuids: uuids[lo:min(lo+rawChunk, len(uuids))]})
	}
	var wg sync.WaitGroup
	for _, ch := range chunks {
		t.reads++
		wg.Add(1)
		go func() {
			defer wg.Done()
			ops := make([]json.RawMessage, len(ch.uuids))
			for i, u := range ch.uuids {
				ops[i] = json.RawMessage(selPre + u + selPost)
			}
			reply, err := t.db.TransactJSON(t.ctx, ops)
			if err != nil {
				ch.err = err
				return
			}
			ch.rows, ch.err = parseSelects(reply, ch.uuids, cols)
			if ch.err != nil {
				ch.err = fmt.Errorf("select on %s: %w", table, ch.err)
			}
		}()
	}
	t.reserve(len(uuids))
	wg.Wait()
	for _, ch := range chunks {
		if ch.err != nil {
			return ch.err
		}
	}
	for _, ch := range chunks {
		for _, rr := range ch.rows {
			if rr == nil {
				continue
			}
			if err := t.mergeRaw(table, rr, cols); err != nil {
				return err
			}
			if !guard {
				continue
			}
			w := make([]byte, 0, len(waitPre)+len(rr.uuid)+len(waitMid)+len(rr.obj)+2)
			w = append(append(append(append(append(w, waitPre...), rr.uuid...), waitMid...), rr.obj...), "]}"...)
			t.rawWaits = append(t.rawWaits, w)
		}
	}
	return nil
}

// reserve makes room in the view's maps for n more rows at once, instead
// of growing them step by step.
func (t *txn) reserve(n int) {
	if n < 1000 {
		return
	}
	rows := make(map[string]*row, len(t.rows)+n)
	for k, v := range t.rows {
		rows[k] = v
	}
	t.rows = rows
	names := make(map[string][]*row, len(t.names)+n)
	for k, v := range t.names {
		names[k] = v
	}
	t.names = names
}

// parseSelects splits the reply to one select per UUID into rows.
func parseSelects(reply []byte, uuids, cols []string) ([]*rawRow, error) {
	out := make([]*rawRow, 0, len(uuids))
	i := 0
	err := eachElem(reply, func(res []byte) error {
		if i >= len(uuids) {
			return fmt.Errorf("%d results for %d selects", i+1, len(uuids))
		}
		var rr *rawRow
		var opErr, details string
		err := eachField(res, func(k string, v []byte) error {
			switch k {
			case "rows":
				return eachElem(v, func(obj []byte) error {
					if rr != nil {
						return fmt.Errorf("two rows with UUID %s", uuids[i])
					}
					rr = &rawRow{uuid: uuids[i], obj: obj, vals: make([][]byte, len(cols))}
					return eachField(obj, func(c string, cv []byte) error {
						for j, want := range cols {
							if c == want {
								rr.vals[j] = cv
							}
						}
						return nil
					})
				})
			case "error":
				var err error
				opErr, err = jsonString(v)
				return err
			case "details":
				details, _ = jsonString(v)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if opErr != "" {
			return fmt.Errorf("%s: %s", opErr, details)
		}
		if rr != nil {
			for j, v := range rr.vals {
				if v == nil {
					return fmt.Errorf("row %s without column %s", rr.uuid, cols[j])
				}
			}
		}
		out = append(out, rr)
		i++
		return nil
	})
	if err != nil {
		return nil, err
	}
	if i < len(uuids) {
		return nil, fmt.Errorf("short reply: %d results for %d selects", i, len(uuids))
	}
	return out, nil
}

// mergeRaw folds a raw row into the view as merge does: a new row is
// created, a known one gets only the columns it had not loaded.
func (t *txn) mergeRaw(table string, rr *rawRow, cols []string) error {
	r := t.rows[rr.uuid]
	fresh := r == nil
	if fresh {
		r = &row{table: table, uuid: rr.uuid, m: newModel(table, rr.uuid), loaded: make(map[string]bool, len(cols))}
		t.rows[rr.uuid] = r
	}
	for j, c := range cols {
		if r.loaded[c] {
			continue
		}
		if ok, err := rawColumn(r.m, c, rr.vals[j]); err != nil {
			return fmt.Errorf("%s row %s: %w", table, rr.uuid, err)
		} else if !ok {
			return fmt.Errorf("%s.%s: not a column the raw path reads", table, c)
		}
		r.loaded[c] = true
		if !fresh {
			t.replaySet(r, c)
			if c == "name" {
				t.indexName(r)
			}
		}
	}
	if fresh {
		t.indexName(r)
	}
	return nil
}
