package benchkit

import "encoding/json"

// RowUpdate is one row of a monitor update: the old values of the columns
// that changed (nil for an insert) and the new values (nil for a delete).
type RowUpdate struct {
	Old map[string]any `json:"old"`
	New map[string]any `json:"new"`
}

// MonitorUpdate decodes an OVSDB "update" notification (monitor, RFC 7047)
// as a session's notify callback gets it: table → row UUID → RowUpdate.
// ok is false for any other message.
func MonitorUpdate(method string, params json.RawMessage) (map[string]map[string]RowUpdate, bool) {
	if method != "update" {
		return nil, false
	}
	var p []json.RawMessage
	if json.Unmarshal(params, &p) != nil || len(p) != 2 {
		return nil, false
	}
	var u map[string]map[string]RowUpdate
	if json.Unmarshal(p[1], &u) != nil {
		return nil, false
	}
	return u, true
}
