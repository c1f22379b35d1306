package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
)

// testWitnessing: heads of a peer's chain are kept once per entry, the same head again
// gets what was kept, and a different hash for a kept entry (the head's own, or one it
// states for an earlier entry) is refused, kept as evidence and audited, once per entry however
// often and however differently the peer states it again. This node's own
// countersigned heads are kept and listed.
func testWitnessing(t *testing.T, open Opener) {
	e := NewEnv(t, open, 1000)
	h := func(c byte) string { return string(bytes.Repeat([]byte{c}, 64)) }
	kept, err := e.Store.WitnessHead(e.Ctx, PeerFR, 10, h('a'), map[int64]string{9: h('9'), 10: h('a')}, []byte("offered 10"), []byte("countersigned 10"))
	if err != nil || string(kept) != "countersigned 10" {
		t.Fatalf("WitnessHead = %q, %v", kept, err)
	}
	mark := e.AuditCount()
	if kept, err := e.Store.WitnessHead(e.Ctx, PeerFR, 10, h('a'), nil, []byte("offered again"), []byte("countersigned again")); err != nil || string(kept) != "countersigned 10" {
		t.Fatalf("the same head again = %q, %v; want the first kept", kept, err)
	}
	if _, err := e.Store.WitnessHead(e.Ctx, PeerFR, 10, h('b'), nil, []byte("second head"), []byte("x")); forewarn.ErrorCode(err) != forewarn.ECONFLICT {
		t.Fatalf("a second head for entry 10 = %v, want ECONFLICT", err)
	}
	e.Clock.Advance(time.Second)
	if _, err := e.Store.WitnessHead(e.Ctx, PeerFR, 10, h('b'), nil, []byte("second head"), []byte("x")); forewarn.ErrorCode(err) != forewarn.ECONFLICT {
		t.Fatalf("the same conflicting head retried = %v, want ECONFLICT again", err)
	}
	if _, err := e.Store.WitnessHead(e.Ctx, PeerFR, 10, h('f'), nil, []byte("third head"), []byte("x")); forewarn.ErrorCode(err) != forewarn.ECONFLICT {
		t.Fatalf("yet another head for entry 10 = %v, want ECONFLICT", err)
	}
	if _, err := e.Store.WitnessHead(e.Ctx, PeerFR, 12, h('c'), map[int64]string{10: h('d'), 11: h('e'), 12: h('c')}, []byte("rewrites 10"), []byte("x")); forewarn.ErrorCode(err) != forewarn.ECONFLICT {
		t.Fatalf("a head stating another hash for entry 10 = %v, want ECONFLICT", err)
	}
	wantActions(t, e, mark, "audit.equivocation")
	cs, err := e.Store.WitnessConflicts(e.Ctx, PeerFR)
	if err != nil || len(cs) != 1 || cs[0].Seq != 10 || cs[0].KeptHash != h('a') || string(cs[0].Offered) != "second head" {
		t.Fatalf("WitnessConflicts = %+v, %v; want the first conflict for entry 10 only", cs, err)
	}
	if _, err := e.Store.WitnessHead(e.Ctx, PeerDE, 10, h('b'), nil, []byte("offered"), []byte("countersigned DE 10")); err != nil {
		t.Fatalf("another agency's head for the same seq: %v", err)
	}
	mark = e.AuditCount()
	if _, err := e.Store.WitnessHead(e.Ctx, PeerDE, 12, h('c'), map[int64]string{10: h('d'), 11: h('e'), 12: h('c')}, []byte("rewrites 10"), []byte("x")); forewarn.ErrorCode(err) != forewarn.ECONFLICT {
		t.Fatalf("a head stating another hash for an earlier kept entry = %v, want ECONFLICT", err)
	}
	wantActions(t, e, mark, "audit.equivocation")
	if cs, err := e.Store.WitnessConflicts(e.Ctx, PeerDE); err != nil || len(cs) != 1 || cs[0].Seq != 10 || cs[0].KeptHash != h('b') || string(cs[0].Offered) != "rewrites 10" {
		t.Fatalf("WitnessConflicts of DE = %+v, %v", cs, err)
	}
	if docs, err := e.Store.WitnessedHeads(e.Ctx, PeerFR, 0, 0); err != nil || len(docs) != 1 || string(docs[0]) != "countersigned 10" {
		t.Fatalf("WitnessedHeads = %q, %v", docs, err)
	}
	if docs, err := e.Store.WitnessedHeads(e.Ctx, PeerFR, 10, 0); err != nil || len(docs) != 0 {
		t.Fatalf("WitnessedHeads after 10 = %q, %v", docs, err)
	}

	if n, err := e.Store.LastWitnessed(e.Ctx, PeerFR); err != nil || n != 0 {
		t.Fatalf("LastWitnessed before any = %d, %v", n, err)
	}
	for _, seq := range []int64{3, 7, 7} {
		if err := e.Store.AddHeadWitness(e.Ctx, PeerFR, seq, []byte("fr head")); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Store.AddHeadWitness(e.Ctx, PeerDE, 3, []byte("de head")); err != nil {
		t.Fatal(err)
	}
	if n, err := e.Store.LastWitnessed(e.Ctx, PeerFR); err != nil || n != 7 {
		t.Fatalf("LastWitnessed = %d, %v; want 7", n, err)
	}
	ws, err := e.Store.HeadWitnesses(e.Ctx)
	if err != nil || len(ws) != 3 || ws[0].Seq != 3 || ws[2].Seq != 7 || ws[2].Witness != PeerFR {
		t.Fatalf("HeadWitnesses = %+v, %v", ws, err)
	}
	if _, err := e.Store.CheckpointAudit(e.Ctx); err != nil {
		t.Fatal(err)
	}
	all, _ := e.Store.AuditCheckpoints(e.Ctx)
	if c, err := e.Store.LatestCheckpoint(e.Ctx); err != nil || len(all) == 0 || c.Seq != all[len(all)-1].Seq || c.Seq != int64(e.AuditCount()) {
		t.Fatalf("LatestCheckpoint = %+v, %v; checkpoints %+v", c, err, all)
	}
	e.MustVerify()
}

// testAuditPolicy: the store records the checkpoint policy it signs by with the first
// entry it writes, so verification needs no flag.
func testAuditPolicy(t *testing.T, open Opener) {
	e := NewEnv(t, open, 7)
	if every, err := e.Store.AuditPolicy(e.Ctx); err != nil || every != 1000 {
		t.Fatalf("AuditPolicy of an empty store = %d, %v; want the default 1000", every, err)
	}
	e.CreateSubject("Ismaël Omar Mostefaï")
	if every, err := e.Store.AuditPolicy(e.Ctx); err != nil || every != 7 {
		t.Fatalf("AuditPolicy = %d, %v; want 7", every, err)
	}
}
