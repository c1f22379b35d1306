package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/envelope"
	"github.com/forewarn/forewarn/federation"
	"github.com/forewarn/forewarn/keyfile"
	"github.com/forewarn/forewarn/sqlstore"
	"github.com/forewarn/forewarn/storetest"
)

// rewriteChain does what an insider holding both the database file and the node's key
// can: change entry seq, re-hash every entry from it on, re-sign every checkpoint with the
// node's own key, and delete the countersignatures the node kept.
func rewriteChain(t *testing.T, dir string, seq int64) {
	t.Helper()
	key, err := keyfile.Load(filepath.Join(dir, "node.key"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "forewarn.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT seq, time, actor_kind, actor_id, action, object_type, object_id, before_digest, after_digest, detail, prev_hash, hash FROM audit_entries ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	var entries []*forewarn.AuditEntry
	for rows.Next() {
		var e forewarn.AuditEntry
		var at, kind string
		if err := rows.Scan(&e.Seq, &at, &kind, &e.Actor.ID, &e.Action, &e.ObjectType, &e.ObjectID, &e.Before, &e.After, &e.Detail, &e.PrevHash, &e.Hash); err != nil {
			t.Fatal(err)
		}
		e.Actor.Kind = forewarn.ActorKind(kind)
		if e.Time, err = sqlstore.ParseTime(at); err != nil {
			t.Fatal(err)
		}
		entries = append(entries, &e)
	}
	rows.Close()
	hashes := map[int64]string{}
	prev := forewarn.GenesisHash
	for _, e := range entries {
		if e.Seq == seq {
			e.Detail += " (quietly edited)"
		}
		e.PrevHash = prev
		e.Hash = e.ComputeHash()
		prev = e.Hash
		hashes[e.Seq] = e.Hash
		if _, err := db.Exec("UPDATE audit_entries SET detail = ?, prev_hash = ?, hash = ? WHERE seq = ?", e.Detail, e.PrevHash, e.Hash, e.Seq); err != nil {
			t.Fatal(err)
		}
	}
	last := entries[len(entries)-1]
	must := func(q string, args ...any) {
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	must("UPDATE audit_head SET hash = ? WHERE id = 1", last.Hash)
	cps, err := db.Query("SELECT seq, time, agency FROM audit_checkpoints ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	var resign []forewarn.AuditCheckpoint
	for cps.Next() {
		var c forewarn.AuditCheckpoint
		var at string
		cps.Scan(&c.Seq, &at, &c.Agency)
		c.Time, _ = sqlstore.ParseTime(at)
		resign = append(resign, c)
	}
	cps.Close()
	for _, c := range resign {
		c.Hash = hashes[c.Seq]
		sig, _ := key.Sign(c.SignedBytes())
		must("UPDATE audit_checkpoints SET hash = ?, signature = ? WHERE seq = ?", c.Hash, hex.EncodeToString(sig), c.Seq)
	}
	must("DELETE FROM head_witnesses")
}

// TestWitnessedHeads: three nodes witness each other's audit heads. Turkey's database is
// then rewritten behind a witnessed head and re-signed with Turkey's own key, so that the
// plain verification passes; "audit verify --witnesses" names the first rewritten entry and
// the peer whose countersignature proves it. Peers refuse a second, different head for the
// same entry and keep it as evidence.
func TestWitnessedHeads(t *testing.T) {
	ctx := context.Background()
	m, c := threeNodes(t, day("2015-01-05 09:00"))
	tr, fr := c.node(agencyTR.Code), c.node(agencyFR.Code)
	tr.msgs.CheckpointInterval = time.Minute
	for i := range 3 {
		if err := tr.node.Store.CreateSubject(ctx, forewarn.UserActor("analyst"), storetest.NewSubject(fmt.Sprintf("Subject %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	// The timer signs a checkpoint a minute on, though fewer than --checkpoint-every
	// entries were added, and the peers countersign it.
	before, _ := tr.node.Store.LatestCheckpoint(ctx)
	if err := c.at(ctx, c.clock.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	head, err := tr.node.Store.LatestCheckpoint(ctx)
	if err != nil || (before != nil && head.Seq == before.Seq) {
		t.Fatalf("no checkpoint on the timer: before %+v, after %+v, %v", before, head, err)
	}
	for _, w := range []string{agencyFR.Code, agencyDE.Code} {
		if n, err := tr.node.Store.LastWitnessed(ctx, w); err != nil || n != head.Seq {
			t.Fatalf("%s countersigned up to %d (%v), want the head %d", w, n, err, head.Seq)
		}
	}

	verify := func(args ...string) (int, string) {
		var out, errOut bytes.Buffer
		vm := &Main{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }, Clock: c.clock}
		err := vm.Run(ctx, append([]string{"audit", "verify", "--data", tr.dir}, args...))
		code := 0
		if ee, ok := err.(exitError); ok {
			code = ee.code
			errOut.WriteString(ee.msg)
		} else if err != nil {
			t.Fatalf("audit verify: %v", err)
		}
		return code, out.String() + errOut.String()
	}
	if code, out := verify("--witnesses"); code != 0 || !strings.Contains(out, agencyFR.Code+" vouches for entries 1-") || !strings.Contains(out, agencyDE.Code+" vouches") {
		t.Fatalf("verify --witnesses before the rewrite: %d %s", code, out)
	}

	// The insider rewrites entry 5 and re-signs everything with Turkey's key.
	tr.Close()
	rewriteChain(t, tr.dir, 5)
	if code, out := verify(); code != 0 {
		t.Fatalf("the re-signed chain should pass the plain check (that is the weakness): %d %s", code, out)
	}
	code, out := verify("--witnesses")
	if code != 2 || !strings.Contains(out, "BROKEN at entry 5:") || !strings.Contains(out, "countersigned by") {
		t.Fatalf("verify --witnesses after the rewrite: %d %s", code, out)
	}
	t.Log(out)

	// Turkey now states the rewritten head for an entry France witnessed: refused, kept.
	key, _ := keyfile.Load(filepath.Join(tr.dir, "node.key"))
	db, _ := sql.Open("sqlite", filepath.Join(tr.dir, "forewarn.db"))
	var hash string
	db.QueryRow("SELECT hash FROM audit_entries WHERE seq = ?", head.Seq).Scan(&hash)
	db.Close()
	forged, err := envelope.SealHead(&envelope.Head{Agency: agencyTR.Code, Seq: head.Seq, Hash: hash, Time: c.clock.Now()}, key)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(fr.url+federation.HeadsPath, "application/json", bytes.NewReader(forged))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("a second head for entry %d: HTTP %d, want 409", head.Seq, resp.StatusCode)
	}
	conflicts, err := fr.node.Store.WitnessConflicts(ctx, agencyTR.Code)
	if err != nil || len(conflicts) != 1 || conflicts[0].Seq != head.Seq || !bytes.Equal(conflicts[0].Offered, forged) {
		t.Fatalf("evidence kept: %+v, %v", conflicts, err)
	}
	if es, _ := fr.node.Store.AuditEntries(ctx, forewarn.AuditFilter{Action: "audit.equivocation"}); len(es) != 1 || es[0].Actor.ID != agencyTR.Code {
		t.Fatalf("the equivocation is not audited: %+v", es)
	}
	_ = m
}
