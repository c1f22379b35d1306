package sqlite_test

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/internal/limits"
	"github.com/forewarn/forewarn/sqlite"
	"github.com/forewarn/forewarn/sqlstore"
	"github.com/forewarn/forewarn/storetest"
)

// BenchmarkAuditedWrite measures CreateSubject: the subject row, its audit entry and the
// head update in one durable transaction.
func BenchmarkAuditedWrite(b *testing.B) {
	db, err := sqlite.Open(filepath.Join(b.TempDir(), "forewarn.db"), sqlstore.Options{Signer: storetest.NewSigner(), Agency: storetest.Agency.Code})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx, actor := context.Background(), forewarn.UserActor("analyst1")
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		if err := db.CreateSubject(ctx, actor, storetest.NewSubject(fmt.Sprintf("Subject %d", i))); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "writes/s")
}

const (
	bigTrailEntries = 1_000_000
	// bigTrailVersion names the cached trail; change it whenever the schema or the entry
	// encoding changes, so a stale file is not reused.
	bigTrailVersion = "v1"
)

// bigTrailKey signs the cached trail's checkpoints; it is fixed so the cache stays valid.
var bigTrailKey = ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))

// BenchmarkAuditVerify1M measures what an oversight body's "audit verify" does on a
// million-entry trail: open the store, read the checkpoints, stream every entry and check
// the chain and the signatures. Building the trail is not measured; it is cached in the
// temporary directory.
func BenchmarkAuditVerify1M(b *testing.B) {
	path := bigTrail(b)
	ctx := context.Background()
	raw, err := sql.Open("sqlite", sqlite.DSN(path))
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	// The limit it runs against: a plain scan of the same rows through the driver,
	// measured before and after each verification (the machine is shared, so the mean of
	// the two is nearer what the verification met), and SHA-256 on one core.
	scan := func() float64 {
		r, n, err := limits.Scan(ctx, raw, "SELECT seq, time, actor_kind, actor_id, actor_token, action, object_type, object_id, before_digest, after_digest, detail, prev_hash, hash FROM audit_entries ORDER BY seq")
		if err != nil || n != bigTrailEntries {
			b.Fatalf("scanned %d rows: %v", n, err)
		}
		return r
	}
	var verifying time.Duration
	var scanRate float64
	for b.Loop() {
		b.StopTimer()
		before := scan()
		b.StartTimer()
		start := time.Now()
		db, err := sqlite.Open(path, sqlstore.Options{})
		if err != nil {
			b.Fatal(err)
		}
		cps, err := db.AuditCheckpoints(ctx)
		if err != nil {
			b.Fatal(err)
		}
		v := forewarn.NewAuditVerifier(bigTrailKey.Public().(ed25519.PublicKey), cps)
		if err := db.ScanAudit(ctx, func(e *forewarn.AuditEntry) error { v.Add(e); return nil }); err != nil {
			b.Fatal(err)
		}
		n, err := v.Finish()
		if err != nil || n != bigTrailEntries || len(cps) != bigTrailEntries/1000 {
			b.Fatalf("verified %d entries with %d checkpoints: %v", n, len(cps), err)
		}
		db.Close()
		verifying += time.Since(start)
		b.StopTimer()
		scanRate += (before + scan()) / 2
		b.StartTimer()
	}
	elapsed := verifying.Seconds() / float64(b.N)
	b.ReportMetric(elapsed, "s/verify")
	rate := bigTrailEntries / elapsed
	b.ReportMetric(rate, "entries/s")
	limits.Report(b, rate, scanRate/float64(b.N), "scan")
	limits.Report(b, rate, limits.SHA256(limits.DefaultDuration), "sha256")
}

// bigTrail returns the path of a database holding a valid 1,000,000-entry audit trail with
// a checkpoint every 1000 entries, building it on first use with precomputed entries
// inserted in one transaction.
func bigTrail(b *testing.B) string {
	b.Helper()
	path := filepath.Join(os.TempDir(), "forewarn-bench-audit-1m-"+bigTrailVersion+".db")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	b.Logf("building %s (once)", path)
	tmp := path + ".building"
	os.Remove(tmp)
	db, err := sqlite.Open(tmp, sqlstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", tmp+"?_pragma=synchronous(OFF)")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	tx, err := raw.Begin()
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	insEntry, err := tx.Prepare("INSERT INTO audit_entries (seq, time, actor_kind, actor_id, action, object_type, object_id, before_digest, after_digest, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
	if err != nil {
		b.Fatal(err)
	}
	insCkpt, err := tx.Prepare("INSERT INTO audit_checkpoints (seq, hash, time, agency, signature) VALUES (?, ?, ?, ?, ?)")
	if err != nil {
		b.Fatal(err)
	}
	prev := forewarn.GenesisHash
	for i := int64(1); i <= bigTrailEntries; i++ {
		t := storetest.Start.Add(time.Duration(i) * time.Second)
		e := &forewarn.AuditEntry{Seq: i, Time: t, Actor: forewarn.UserActor(fmt.Sprintf("analyst%d", i%40)), Action: "subject.read", ObjectType: "subject", ObjectID: forewarn.NewID(t), After: forewarn.Digest(i), PrevHash: prev}
		e.Hash = e.ComputeHash()
		prev = e.Hash
		if _, err := insEntry.Exec(e.Seq, sqlstore.FormatTime(e.Time), string(e.Actor.Kind), e.Actor.ID, e.Action, e.ObjectType, e.ObjectID, e.Before, e.After, e.Detail, e.PrevHash, e.Hash); err != nil {
			b.Fatal(err)
		}
		if i%1000 == 0 {
			c := forewarn.AuditCheckpoint{Seq: i, Hash: e.Hash, Time: t, Agency: storetest.Agency.Code}
			c.Signature = hex.EncodeToString(ed25519.Sign(bigTrailKey, c.SignedBytes()))
			if _, err := insCkpt.Exec(c.Seq, c.Hash, sqlstore.FormatTime(c.Time), c.Agency, c.Signature); err != nil {
				b.Fatal(err)
			}
		}
	}
	if _, err := tx.Exec("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", int64(bigTrailEntries), prev); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if _, err := raw.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		b.Fatal(err)
	}
	raw.Close()
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkRecordReceipts measures what a sending node's recorder does for each batch of
// receipts its peer answers: Delivered with 10 receipts, in one durable transaction
// (run with a fixed -benchtime such as 200x: the deliveries are stored beforehand).
func BenchmarkRecordReceipts(b *testing.B) {
	const per = 10
	db, err := sqlite.Open(filepath.Join(b.TempDir(), "forewarn.db"), sqlstore.Options{Signer: storetest.NewSigner(), Agency: storetest.Agency.Code})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := db.AddPeer(ctx, forewarn.SystemActor("init"), storetest.NewPeer(storetest.PeerFR)); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	receipts := make([]forewarn.DeliveryReceipt, 0, b.N*per)
	for range b.N * per {
		m := storetest.NewNotification(storetest.Agency.Code, []string{storetest.PeerFR}, now)
		sm := &forewarn.StoredMessage{Message: m, Envelope: []byte("signed envelope of " + m.ID), Direction: forewarn.DirectionOut, StoredAt: now, Priority: forewarn.PriorityRoutine,
			Deliveries: []*forewarn.Delivery{{MessageID: m.ID, Agency: storetest.PeerFR, Direction: forewarn.DirectionOut, NextAttempt: now}}}
		if err := db.CreateMessage(ctx, forewarn.UserActor("liaison"), sm); err != nil {
			b.Fatal(err)
		}
		receipts = append(receipts, forewarn.DeliveryReceipt{MessageID: m.ID, Agency: storetest.PeerFR, Receipt: make([]byte, 300), At: now})
	}
	runtime.GC() // the setup's garbage is not the recorder's
	b.ResetTimer()
	cpu := limits.ProcessCPU()
	for i := range b.N {
		if err := db.Delivered(ctx, receipts[i*per:(i+1)*per]...); err != nil {
			b.Fatal(err)
		}
	}
	// The CPU, user and system (the disk's writes), says more on a shared machine than
	// the time, most of which is the disk's flush.
	b.ReportMetric(float64((limits.ProcessCPU()-cpu).Microseconds())/float64(b.N*per), "cpu-µs/receipt")
}

// BenchmarkClaimDue measures what a delivery round does for a peer with a backlog:
// ClaimDueTo of limit deliveries (run with a fixed -benchtime such as 100x: the
// deliveries are stored beforehand).
func BenchmarkClaimDue(b *testing.B) {
	for _, limit := range []int{1, 8, 16, 32} {
		b.Run(fmt.Sprint(limit), func(b *testing.B) {
			db, err := sqlite.Open(filepath.Join(b.TempDir(), "forewarn.db"), sqlstore.Options{Signer: storetest.NewSigner(), Agency: storetest.Agency.Code})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			ctx := context.Background()
			if err := db.AddPeer(ctx, forewarn.SystemActor("init"), storetest.NewPeer(storetest.PeerFR)); err != nil {
				b.Fatal(err)
			}
			now := time.Now()
			for range b.N * limit {
				m := storetest.NewNotification(storetest.Agency.Code, []string{storetest.PeerFR}, now)
				sm := &forewarn.StoredMessage{Message: m, Envelope: make([]byte, 2000), Direction: forewarn.DirectionOut, StoredAt: now, Priority: forewarn.PriorityRoutine,
					Deliveries: []*forewarn.Delivery{{MessageID: m.ID, Agency: storetest.PeerFR, Direction: forewarn.DirectionOut, NextAttempt: now}}}
				if err := db.CreateMessage(ctx, forewarn.UserActor("liaison"), sm); err != nil {
					b.Fatal(err)
				}
			}
			runtime.GC() // the setup's garbage is not the claims'
			b.ResetTimer()
			cpu := limits.ProcessCPU()
			for range b.N {
				if ds, _, err := db.ClaimDueTo(ctx, "server", storetest.PeerFR, now, now.Add(time.Minute), limit); err != nil || len(ds) != limit {
					b.Fatalf("claimed %d, %v; want %d", len(ds), err, limit)
				}
			}
			b.ReportMetric(float64((limits.ProcessCPU()-cpu).Microseconds())/float64(b.N), "cpu-µs/claim")
			b.ReportMetric(float64((limits.ProcessCPU()-cpu).Microseconds())/float64(b.N*limit), "cpu-µs/delivery")
		})
	}
}

// BenchmarkReceive measures the store's part of an arrival alone: ReceiveMessage from 16
// writers at once (group commit), durable, with an envelope and a receipt of the sizes
// delivery carries. It reports the CPU the process spent per message (user and system,
// the disk's writes included), which the machine's neighbours change less than its time.
func BenchmarkReceive(b *testing.B) {
	db, err := sqlite.Open(filepath.Join(b.TempDir(), "forewarn.db"), sqlstore.Options{Signer: storetest.NewSigner(), Agency: storetest.Agency.Code, CheckpointEvery: 1000})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	// FOREWARN_BENCH_WRITERS sets another number of writers (1: a commit for each message).
	writers := 16
	if n, err := strconv.Atoi(os.Getenv("FOREWARN_BENCH_WRITERS")); err == nil && n > 0 {
		writers = n
	}
	sms, receipt := storetest.ReceiveSetup(b, db, b.N)
	b.ResetTimer()
	cpu, io := limits.ProcessCPU(), procIO(b)
	storetest.ReceiveAll(b, db, sms, receipt, writers)
	b.ReportMetric(float64((limits.ProcessCPU()-cpu).Microseconds())/float64(b.N), "cpu-µs/msg")
	after := procIO(b)
	b.ReportMetric(float64(after["syscw"]-io["syscw"])/float64(b.N), "writes/msg")
	b.ReportMetric(float64(after["wchar"]-io["wchar"])/float64(b.N), "bytes-written/msg")
}

// procIO reads the process's I/O counters (Linux): the write calls it made and the bytes
// they wrote, which say what a change to the schema costs the disk, whatever the load.
func procIO(b *testing.B) map[string]int64 {
	data, err := os.ReadFile("/proc/self/io")
	if err != nil {
		b.Skipf("no I/O counters: %v", err)
	}
	out := map[string]int64{}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ": "); ok {
			out[k], _ = strconv.ParseInt(v, 10, 64)
		}
	}
	return out
}
