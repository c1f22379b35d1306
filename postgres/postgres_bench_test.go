package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/internal/limits"
	"github.com/forewarn/forewarn/sqlstore"
	"github.com/forewarn/forewarn/storetest"
)

// BenchmarkAuditedWrite measures CreateSubject: the subject row, its audit entry and the
// head update in one transaction.
func BenchmarkAuditedWrite(b *testing.B) {
	db := openFresh(b, sqlstore.Options{Signer: storetest.NewSigner(), Agency: storetest.Agency.Code})
	ctx, actor := context.Background(), forewarn.UserActor("analyst1")
	start := time.Now()
	for i := 0; b.Loop(); i++ {
		if err := db.CreateSubject(ctx, actor, storetest.NewSubject(fmt.Sprintf("Subject %d", i))); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "writes/s")
}

// BenchmarkReceive measures the store's part of an arrival alone on PostgreSQL:
// ReceiveMessage from 16 writers at once, with an envelope and a receipt of the sizes
// delivery carries. Beside this process's CPU per message it reports the server's
// (every backend's, when the server runs on this machine and can be read) and the bytes
// of write-ahead log each message wrote, which the neighbours change least; both are the
// whole server's, so run it where nothing else writes.
func BenchmarkReceive(b *testing.B) {
	db := openFresh(b, sqlstore.Options{Signer: storetest.NewSigner(), Agency: storetest.Agency.Code, CheckpointEvery: 1000})
	ctx, system := context.Background(), forewarn.SystemActor("bench")
	if err := db.InitNode(ctx, system, &forewarn.NodeInfo{Agency: storetest.Agency, PublicKey: storetest.NewSigner().PublicKey()},
		&forewarn.User{Username: "admin", DisplayName: "Node admin", Roles: []forewarn.Role{forewarn.RoleAdmin}}); err != nil {
		b.Fatal(err)
	}
	if err := db.AddPeer(ctx, system, storetest.NewPeer(storetest.PeerFR)); err != nil {
		b.Fatal(err)
	}
	envelope, receipt := make([]byte, 590), make([]byte, 380)
	for i := range envelope {
		envelope[i] = 'a' + byte(i%26)
	}
	copy(receipt, envelope)
	sms := make([]*forewarn.StoredMessage, b.N)
	for i := range sms {
		now := time.Now()
		m := storetest.NewNotification(storetest.PeerFR, []string{storetest.Agency.Code}, now)
		dl := now.Add(30 * 24 * time.Hour)
		sms[i] = &forewarn.StoredMessage{Message: m, Envelope: envelope, Direction: forewarn.DirectionIn, Priority: forewarn.PriorityRoutine,
			Deliveries: []*forewarn.Delivery{{MessageID: m.ID, Agency: storetest.Agency.Code, Direction: forewarn.DirectionIn, Deadline: dl, NextEscalation: dl}}}
	}
	dsn := testDSN(b)
	raw, err := sql.Open("pgx", dsn) // the log's position is the server's, whatever the schema
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	var lsn string
	if err := raw.QueryRowContext(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&lsn); err != nil {
		b.Fatal(err)
	}
	actor := forewarn.Actor{Kind: forewarn.ActorPeer, ID: storetest.PeerFR}
	const writers = 16
	b.ResetTimer()
	cpu := limits.ProcessCPU()
	server, serverKnown := limits.PostgresCPU(ctx, dsn)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < b.N; i += writers {
				if _, dup, err := db.ReceiveMessage(ctx, actor, sms[i], receipt); err != nil || dup {
					b.Errorf("ReceiveMessage: duplicate %v, %v", dup, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64((limits.ProcessCPU()-cpu).Microseconds())/float64(b.N), "cpu-µs/msg")
	if after, ok := limits.PostgresCPU(ctx, dsn); ok && serverKnown {
		b.ReportMetric(float64((after-server).Microseconds())/float64(b.N), "server-cpu-µs/msg")
	}
	var wal float64
	if err := raw.QueryRowContext(ctx, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)", lsn).Scan(&wal); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(wal/float64(b.N), "wal-bytes/msg")
}
