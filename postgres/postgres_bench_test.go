package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
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
	ctx := context.Background()
	sms, receipt := storetest.ReceiveSetup(b, db, b.N)
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
	const writers = 16
	b.ResetTimer()
	cpu := limits.ProcessCPU()
	server, serverKnown := limits.PostgresCPU(ctx, dsn)
	storetest.ReceiveAll(b, db, sms, receipt, writers)
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
