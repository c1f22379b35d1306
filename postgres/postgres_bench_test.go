package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
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
