package proclog

import (
	"testing"
	"time"
)

func TestBook(t *testing.T) {
	b := New()
	_, _ = b.Write([]byte(`{"msg":"round done","kind":"full","read_ms":1.5}` + "\n" + `{"msg":"par`))
	if b.Mark() != 1 {
		t.Fatalf("%d lines before the second newline", b.Mark())
	}
	_, _ = b.Write([]byte(`tial"}` + "\nnot json\n"))
	i, l, err := b.Wait(0, time.Second, "a full round", func(l Line) bool { return l.Msg == "round done" && l.Str("kind") == "full" })
	if err != nil || i != 0 || l.Dur("read_ms") != 1500*time.Microsecond {
		t.Fatalf("line %d %+v %v", i, l, err)
	}
	if _, l, ok := b.Find(1, IsMsg("partial")); !ok || l.Raw != `{"msg":"partial"}` {
		t.Fatalf("a line split across writes: %+v", l)
	}
	if got := b.Since(2); len(got) != 1 || got[0].Msg != "not json" {
		t.Fatalf("since: %+v", got)
	}
	if _, _, err := b.Wait(3, 20*time.Millisecond, "another", IsMsg("x")); err == nil {
		t.Fatal("waited for a line that never came")
	}
	if b.Count(func(Line) bool { return true }) != 3 {
		t.Fatal("count")
	}
	b.Quiet(20*time.Millisecond, time.Second)
	_, _ = b.Write([]byte("unfinished"))
	b.Finish()
	if _, _, err := b.Wait(4, time.Second, "anything", IsMsg("x")); err == nil {
		t.Fatal("a finished log still waits")
	}
	if b.Mark() != 4 || b.Text() != "{\"msg\":\"round done\",\"kind\":\"full\",\"read_ms\":1.5}\n{\"msg\":\"partial\"}\nnot json\nunfinished\n" {
		t.Fatalf("text %q", b.Text())
	}
}
