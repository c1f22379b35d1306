package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/internal/limits"
	"github.com/forewarn/forewarn/sqlite"
)

// backupFixtureVersion names the cached 1 GB node; change it when the schema changes.
const backupFixtureVersion = "v1"

// backupFixture returns the data directory of a Turkish node whose store holds about
// 1 GB (sent messages with 8 KB envelopes), building it once in the temporary directory.
func backupFixture(b *testing.B) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "forewarn-bench-backup-1g-"+backupFixtureVersion)
	if _, err := os.Stat(filepath.Join(dir, "complete")); err == nil {
		return dir
	}
	b.Logf("building %s (once)", dir)
	os.RemoveAll(dir)
	ctx := context.Background()
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	nf := &nodeFlags{data: dir, checkpointEvery: 1000, logLevel: "error", as: "bench"}
	node, _, err := m.initNodeAt(ctx, nf, dir, agencyTR, "admin", forewarn.SystemClock{})
	if err != nil {
		b.Fatal(err)
	}
	node.Store.Close()
	raw, err := sql.Open("sqlite", filepath.Join(dir, dbFileName)+"?_pragma=synchronous(OFF)")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	tx, err := raw.Begin()
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	ins, err := tx.Prepare("INSERT INTO messages (id, direction, from_agency, kind, in_reply_to, thread_root, created, stored_at, priority, holds_person, envelope, message, wire_id) VALUES (?, 'out', ?, 'notification', '', ?, ?, ?, 'routine', 0, ?, ?, ?)")
	if err != nil {
		b.Fatal(err)
	}
	envelope := make([]byte, 8<<10)
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 125_000 {
		t := start.Add(time.Duration(i) * time.Minute)
		id := forewarn.NewID(t)
		msg, _ := json.Marshal(&forewarn.Message{ID: id, Version: forewarn.MessageVersion, From: agencyTR.Code, To: []string{agencyFR.Code}, Created: t, Kind: forewarn.KindNotification,
			Notification: &forewarn.Notification{Summary: fmt.Sprintf("archived warning %d", i), Priority: forewarn.PriorityRoutine}})
		rand.Read(envelope)
		ts := t.Format("2006-01-02T15:04:05.000000000Z")
		if _, err := ins.Exec(id, agencyTR.Code, id, ts, ts, envelope, string(msg), id); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if _, err := raw.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "complete"), nil, 0o600); err != nil {
		b.Fatal(err)
	}
	return dir
}

// BenchmarkBackupServing measures `forewarn backup`'s copy (SQLite's online backup API)
// of a 1 GB node while it serves: France delivers warnings to it the whole time. It
// reports the copy's MB/s beside the disk's sequential write rate measured in the same
// run, and the node's receiving rate and p99 during the backup beside the same without a
// backup just before (verifying the copy, which backup does next, is
// BenchmarkAuditVerify1M's).
func BenchmarkBackupServing(b *testing.B) {
	ctx := context.Background()
	dir := backupFixture(b)
	dbPath := filepath.Join(dir, dbFileName)
	m := &Main{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
	flags := func() *serveFlags {
		return &serveFlags{listen: "127.0.0.1:0", replayWindow: app.DefaultReplayWindow}
	}
	tr, err := m.startRuntime(ctx, &nodeFlags{data: dir, checkpointEvery: 1000, logLevel: "error", as: "bench"}, flags(), forewarn.SystemClock{}, false)
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close()
	frDir := filepath.Join(b.TempDir(), agencyFR.Code)
	frFlags := &nodeFlags{data: frDir, checkpointEvery: 1000, logLevel: "error", as: "bench"}
	node, _, err := m.initNodeAt(ctx, frFlags, frDir, agencyFR, "admin", forewarn.SystemClock{})
	if err != nil {
		b.Fatal(err)
	}
	node.Store.Close()
	fr, err := m.startRuntime(ctx, frFlags, flags(), forewarn.SystemClock{}, false)
	if err != nil {
		b.Fatal(err)
	}
	defer fr.Close()
	// France's key is new every run: the fixture pins it afresh.
	setup := forewarn.SystemActor("bench")
	_ = tr.node.Store.RemovePeer(ctx, setup, agencyFR.Code)
	for _, pair := range [][2]*liveNode{{tr, fr}, {fr, tr}} {
		info, _ := pair[1].node.Store.Node(ctx)
		if err := pair[0].node.Store.AddPeer(ctx, setup, &forewarn.Peer{Agency: info.Agency, BaseURL: pair[1].url, PublicKey: info.PublicKey}); err != nil {
			b.Fatal(err)
		}
	}
	st, err := os.Stat(dbPath)
	if err != nil {
		b.Fatal(err)
	}
	size := float64(st.Size())

	tt := &timedTransport{next: fr.msgs.Transport}
	fr.msgs.Transport = tt
	send := func(n int) {
		for i := range n {
			_, err := fr.msgs.Send(ctx, forewarn.UserActor("liaison"), &forewarn.Message{
				Kind: forewarn.KindNotification, To: []string{agencyTR.Code}, Marks: forewarn.HandlingMarks{TLP: forewarn.TLPGreen},
				Notification: &forewarn.Notification{Summary: fmt.Sprintf("during backup %d", i), Priority: forewarn.PriorityRoutine,
					Persons: []forewarn.PersonDescriptor{person("p1", benchName(i), "1980")}}})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	// serve delivers France's queue to Turkey in rounds of 16 until until says stop, and
	// returns how many per second and their p99.
	serve := func(until func(delivered int) bool) (rate float64, p99 time.Duration) {
		tt.mu.Lock()
		tt.took = nil
		tt.mu.Unlock()
		start := time.Now()
		delivered := 0
		for !until(delivered) {
			n, err := fr.msgs.DeliverDue(ctx, 16)
			if err != nil {
				b.Fatal(err)
			}
			if n == 0 {
				b.Fatalf("nothing left to deliver after %d; queue more", delivered)
			}
			delivered += n
		}
		return float64(delivered) / time.Since(start).Seconds(), tt.percentile(0.99)
	}
	var copyRate, diskRate, aloneRate, duringRate, aloneP99, duringP99 []float64
	for b.Loop() {
		b.StopTimer()
		send(3000)
		rate, p99 := serve(func(n int) bool { return n >= 400 })
		aloneRate, aloneP99 = append(aloneRate, rate), append(aloneP99, float64(p99.Microseconds())/1000)
		dest := filepath.Join(b.TempDir(), "backup.db")
		var wg sync.WaitGroup
		var took time.Duration
		var backupErr error
		done := make(chan struct{})
		b.StartTimer()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done)
			start := time.Now()
			backupErr = sqlite.Backup(ctx, dbPath, dest)
			took = time.Since(start)
		}()
		rate, p99 = serve(func(int) bool {
			select {
			case <-done:
				return true
			default:
				return false
			}
		})
		wg.Wait()
		b.StopTimer()
		if backupErr != nil {
			b.Fatal(backupErr)
		}
		duringRate, duringP99 = append(duringRate, rate), append(duringP99, float64(p99.Microseconds())/1000)
		copyRate = append(copyRate, size/took.Seconds()/1e6)
		os.Remove(dest)
		w, err := limits.DiskWrite(filepath.Dir(dest), 256<<20)
		if err != nil {
			b.Fatal(err)
		}
		diskRate = append(diskRate, w/1e6)
		b.StartTimer()
	}
	b.ReportMetric(size/1e6, "db-MB")
	b.ReportMetric(median(copyRate), "backup-MB/s")
	limits.Report(b, median(copyRate)*1e6, median(diskRate)*1e6, "disk-write")
	b.ReportMetric(median(aloneRate), "msgs/s-alone")
	b.ReportMetric(median(duringRate), "msgs/s-during")
	b.ReportMetric(median(duringRate)/median(aloneRate), "xserving")
	b.ReportMetric(median(aloneP99), "p99-ms-alone")
	b.ReportMetric(median(duringP99), "p99-ms-during")
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}
