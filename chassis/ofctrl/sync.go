package ofctrl

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	of "github.com/contiv/libOpenflow/openflow13"

	"github.com/dvr-ovn/dvr/chassis/flows"
)

// Report is what one Sync did.
type Report struct {
	Added, Modified, Deleted int // flow-mods OVS accepted, by kind
	// Rejected are the flows this Sync could not install or delete: OVS
	// refused them (Err is an *OFError) or they are not in the vocabulary
	// the compiler knows (Err names the token). A rejected desired flow
	// is not sent again while it stays desired unchanged on this
	// connection (StillRejected counts those); it is retried when its
	// entry changes and after a reconnect.
	Rejected      []Rejection
	StillRejected int
	// Conflicts are desired flows whose identity another owner's flow (or
	// a learned one) holds: left alone.
	Conflicts []flows.Entry
	// ReadBack: the installed flows were read back from OVS first (the
	// first Sync on a connection, or after a failed one).
	ReadBack bool
	// FlowMods is the number of flow-mods sent (0: no bundle at all).
	FlowMods int
	Duration time.Duration
}

// Rejection is one flow a Sync could not apply.
type Rejection struct {
	Entry  flows.Entry
	Delete bool // the flow was to be deleted (else added or modified)
	Err    error
}

func (r Rejection) String() string {
	op := "add"
	if r.Delete {
		op = "delete"
	}
	return fmt.Sprintf("%s %s: %v", op, r.Entry, r.Err)
}

// op is one flow-mod of a bundle.
type op struct {
	e    flows.Entry // a deletion's is its installed record's entry()
	id   flowID
	kind opKind
	fm   flowMod
}

type opKind uint8

const (
	opAdd opKind = iota
	opModify
	opDelete
)

// Sync makes the bridge's flows of ours the desired ones, in one atomic,
// ordered bundle, and returns once OVS has committed it. After a
// (re)connect it first reads back what the bridge holds. Flows of other
// owners and learned flows are never touched. Sync fails without a
// connection (Run's Poke says when to try again), when the read-back
// fails, or when OVS refuses the commit; then the next Sync reads back
// again.
func (b *Bridge) Sync(ctx context.Context, desired []flows.Entry) (Report, error) {
	start := time.Now()
	b.syncMu.Lock()
	defer b.syncMu.Unlock()
	rep, err := b.sync(ctx, desired)
	if err != nil {
		b.st.reset()
	}
	b.installed.Store(int64(len(b.st.installed)))
	rep.Duration = time.Since(start)
	return rep, err
}

func (b *Bridge) sync(ctx context.Context, desired []flows.Entry) (Report, error) {
	var rep Report
	c, gen, err := b.current()
	if err != nil {
		return rep, err
	}
	if b.st.gen != gen {
		b.st.reset()
		inst, err := readBack(ctx, c, b.hash, desired)
		if err != nil {
			return rep, err
		}
		b.st = state{gen: gen, installed: inst, rejected: map[flows.Key]flows.Entry{}}
		b.st.index()
		rep.ReadBack = true
	}
	ch := b.st.diff(b.hash, desired, nil)
	rep.Conflicts = ch.conflicts
	ops, rejected := b.plan(ch, &rep)
	b.st.rejected = rejected
	return rep, b.send(ctx, c, ops, &rep)
}

// send sends ops in one bundle and records in the installed state (and
// rep) what OVS accepted and refused.
func (b *Bridge) send(ctx context.Context, c *conn, ops []op, rep *Report) error {
	if len(ops) == 0 {
		return nil
	}
	refused, err := b.bundle(ctx, c, ops)
	if err != nil {
		return err
	}
	b.flowMods.Add(uint64(len(ops)))
	rep.FlowMods = len(ops)
	for i, o := range ops {
		if e := refused[i]; e != nil {
			rep.Rejected = append(rep.Rejected, Rejection{Entry: o.e, Delete: o.kind == opDelete, Err: e})
			if o.kind != opDelete {
				b.st.rejected[o.e.Key] = o.e
			}
			continue
		}
		switch o.kind {
		case opAdd, opModify:
			b.st.put(o.id, installedFlow(b.hash, o.e, o.fm.c.match))
			if o.kind == opAdd {
				rep.Added++
			} else {
				rep.Modified++
			}
		case opDelete:
			b.st.drop(o.id)
			rep.Deleted++
		}
	}
	return nil
}

// plan compiles the changes into flow-mods: deletes first (with the match
// the installed record holds), then adds and modifies (both OFPFC_ADD).
// Desired flows OVS already refused, unchanged, are held back; the rest
// that do not compile are reported. It returns the rejections still held.
func (b *Bridge) plan(ch changes, rep *Report) ([]op, map[flows.Key]flows.Entry) {
	held := map[flows.Key]flows.Entry{}
	ops := make([]op, 0, len(ch.del)+len(ch.add)+len(ch.modify))
	for _, d := range ch.del {
		ops = append(ops, op{e: d.f.entry(), id: d.id, kind: opDelete, fm: flowMod{command: flowModDeleteStrict, table: d.f.table,
			priority: d.f.priority, cookie: uint64(flows.CookieOwner), cookieMask: uint64(flows.CookieOwnerMask),
			c: compiled{match: []byte(d.f.match)}}})
	}
	add := func(cs []change, kind opKind) {
		for _, x := range cs {
			e := x.e
			if r, ok := b.st.rejected[e.Key]; ok && r == e {
				held[e.Key] = e
				rep.StillRejected++
				continue
			}
			comp, err := compile(e)
			if err != nil {
				rep.Rejected = append(rep.Rejected, Rejection{Entry: e, Err: err})
				held[e.Key] = e
				continue
			}
			ops = append(ops, op{e: e, id: x.id, kind: kind, fm: flowMod{command: flowModAdd, table: e.Table,
				priority: e.Priority, cookie: uint64(e.Cookie), c: comp}})
		}
	}
	add(ch.add, opAdd)
	add(ch.modify, opModify)
	return ops, held
}

// bundle sends the flow-mods in one atomic, ordered bundle, pipelined
// (open, every add, commit in one stream), and waits for the commit
// reply. refused[i] is OVS's error for ops[i], if any: decode-time errors
// come back on the add's xid and the commit still applies the rest. An
// error on the open or the commit fails the whole bundle.
func (b *Bridge) bundle(ctx context.Context, c *conn, ops []op) (map[int]error, error) {
	n := uint32(len(ops))
	base := c.reserve(n + 2)
	id, commit := base, base+n+1
	w := c.wait(base, n+2)
	defer c.unwait(w)
	err := c.stream(func(put func([]byte) error) error {
		m, err := bundleControl(base, id, of.OFPBCT_OPEN_REQUEST)
		if err != nil {
			return err
		}
		if err := put(m); err != nil {
			return err
		}
		var fm []byte
		for i, o := range ops {
			xid := base + 1 + uint32(i)
			fm = o.fm.appendTo(fm[:0], xid)
			m, err := bundleAdd(xid, id, fm)
			if err != nil {
				return err
			}
			if err := put(m); err != nil {
				return err
			}
		}
		m, err = bundleControl(commit, id, of.OFPBCT_COMMIT_REQUEST)
		if err != nil {
			return err
		}
		return put(m)
	})
	if err != nil {
		return nil, fmt.Errorf("bridge %s: send bundle: %w", c.bridge, err)
	}
	refused := map[int]error{}
	var openErr error
	for {
		m, err := c.next(ctx, w)
		if err != nil {
			return nil, fmt.Errorf("bridge %s: waiting for the bundle commit: %w", c.bridge, err)
		}
		xid := binary.BigEndian.Uint32(m[4:])
		switch {
		case xid == commit && m[1] == typeError:
			return nil, fmt.Errorf("bridge %s: bundle of %d flow-mods not committed: %w", c.bridge, n, parseError(m))
		case xid == commit:
			if m[1] != typeExperimenter || len(m) < 24 || be16(m[20:]) != of.OFPBCT_COMMIT_REPLY {
				return nil, fmt.Errorf("bridge %s: unexpected answer (type %d) to the bundle commit", c.bridge, m[1])
			}
			if openErr != nil {
				return nil, fmt.Errorf("bridge %s: bundle not opened: %w", c.bridge, openErr)
			}
			return refused, nil
		case xid == base && m[1] == typeError:
			openErr = parseError(m)
		case m[1] == typeError:
			refused[int(xid-base-1)] = parseError(m)
		}
	}
}
