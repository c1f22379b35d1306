package sqlstore_test

import (
	"context"
	"database/sql"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/sqlstore"
	"github.com/forewarn/forewarn/storetest"
)

// Messages sent at the same time (the API's clients posting at once) are stored by one
// commit on SQLite, so they share its flush of the log: each send still returns only once
// its own message is durable, with its own deliveries and audit entry. A send that fails
// among them (its ID is taken) gets its own error and writes nothing, and the others are
// stored whole. On PostgreSQL the same sends meet in the late transactions' batch, and the
// same holds of what each caller is told and of what is stored.
func TestConcurrentSendsShareCommit(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		e := storetest.NewEnv(t, openSQLite, 3)
		db := e.Store.(*sqlstore.DB)
		checkSendsTogether(t, e, func() (queued func() int, release func()) { return sqlstore.HoldGroup(db) }, func() int64 { return sqlstore.Commits(db) }, nil)
	})
	t.Run("postgres", func(t *testing.T) {
		e, conn := postgresEnv(t, "PostgreSQL sends in a batch", 3)
		db := e.Store.(*sqlstore.DB)
		checkSendsTogether(t, e, func() (queued func() int, release func()) { return sqlstore.HoldLateGroup(db) }, nil, conn)
	})
}

// checkSendsTogether sends three messages and one whose ID is taken, held by hold until
// all four are queued, and checks what each send was told and what was stored. commits,
// when set, counts the store's commits: the three must take one, in the order sent (on
// PostgreSQL a failed batch commits each of its writes alone, in no set order). conn, when
// set, reads the rows' PostgreSQL transaction IDs, for the log only.
func checkSendsTogether(t *testing.T, e *storetest.Env, hold func() (queued func() int, release func()), commits func() int64, conn *sql.Conn) {
	t.Helper()
	e.Init()
	e.AddPeers()
	taken := e.Send(storetest.NewNotification(storetest.Agency.Code, []string{storetest.PeerFR}, e.Clock.Now())).Message
	e.Clock.Advance(time.Second)
	start := e.AuditCount()
	now := e.Clock.Now()

	var msgs []*forewarn.Message
	for i := range 4 {
		if i == 2 {
			// A draft of its own under the taken ID: its insert fails in the batch.
			dup := storetest.NewNotification(storetest.Agency.Code, []string{storetest.PeerFR}, now)
			dup.ID = taken.ID
			dup.Notification.Summary = "written over the message already stored"
			msgs = append(msgs, dup)
			continue
		}
		msgs = append(msgs, storetest.NewNotification(storetest.Agency.Code, []string{storetest.PeerFR}, now))
	}
	var before int64
	if commits != nil {
		before = commits()
	}
	queued, release := hold()
	errs := make([]error, len(msgs))
	stored := make([]*forewarn.StoredMessage, len(msgs))
	// Each stored send is told it is durable before its sender is answered; with group
	// commit, all of them before any is.
	var toldMu sync.Mutex
	var told []int
	answered := make([]int, len(msgs)) // how many were told when each was answered
	var wg sync.WaitGroup
	for i, m := range msgs {
		sm := &forewarn.StoredMessage{Message: m, Envelope: []byte("signed envelope of " + m.Notification.Summary + " " + m.ID), Direction: forewarn.DirectionOut, StoredAt: now, Priority: forewarn.PriorityUrgent,
			Deliveries: []*forewarn.Delivery{{MessageID: m.ID, Agency: storetest.PeerFR, Direction: forewarn.DirectionOut, NextAttempt: now, Deadline: now.Add(time.Hour)}}}
		sm.Durable = func(int64) {
			toldMu.Lock()
			told = append(told, i)
			toldMu.Unlock()
		}
		stored[i] = sm
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = e.Store.CreateMessage(context.Background(), forewarn.UserActor("liaison1"), sm)
			toldMu.Lock()
			answered[i] = len(told)
			toldMu.Unlock()
		}()
		// Queued in this order, so the batch holds them so.
		for deadline := time.Now().Add(10 * time.Second); queued() < i+1; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("only %d of %d sends queued", queued(), i+1)
			}
		}
	}
	release()
	wg.Wait()

	for i, err := range errs {
		if i == 2 {
			if forewarn.ErrorCode(err) != forewarn.ECONFLICT {
				t.Errorf("the send under a taken ID: %v, want ECONFLICT", err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		got := e.MustMessage(msgs[i].ID)
		if string(got.Envelope) != string(stored[i].Envelope) || len(got.Deliveries) != 1 || got.Deliveries[0].Agency != storetest.PeerFR || !got.Deliveries[0].DeliveredAt.IsZero() {
			t.Errorf("send %d stored as %q with deliveries %+v", i, got.Envelope, got.Deliveries)
		}
	}
	if got := e.MustMessage(taken.ID); got.Message.Notification.Summary == msgs[2].Notification.Summary || string(got.Envelope) != "signed envelope of "+taken.ID {
		t.Errorf("the message already stored was changed by the failed send: %q, %q", got.Message.Notification.Summary, got.Envelope)
	}
	due, err := e.Store.DueDeliveries(e.Ctx, now.Add(time.Minute), 100)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int{}
	for _, d := range due {
		ids[d.MessageID]++
	}
	for _, i := range []int{0, 1, 3} {
		if ids[msgs[i].ID] != 1 {
			t.Errorf("send %d: %d deliveries due, want 1", i, ids[msgs[i].ID])
		}
	}
	if ids[taken.ID] != 1 {
		t.Errorf("the message already stored has %d deliveries due, want its one", ids[taken.ID])
	}
	// One entry per message stored, none for the one that failed.
	if got := e.AuditCount() - start; got != 3 {
		t.Errorf("%d audit entries, want 3 (one per message stored)", got)
	}
	slices.Sort(told)
	if !slices.Equal(told, []int{0, 1, 3}) {
		t.Errorf("sends told they were durable: %v, want 0, 1 and 3, once each", told)
	}
	for _, i := range []int{0, 1, 3} {
		if answered[i] == 0 {
			t.Errorf("send %d was answered before it was told it was durable", i)
		}
	}
	if commits != nil {
		// One transaction, written in the order sent, whose sends were all told it was
		// durable before any was answered.
		for _, i := range []int{0, 1, 3} {
			if answered[i] != 3 {
				t.Errorf("send %d was answered when %d of the 3 were told they were durable, want all", i, answered[i])
			}
		}
		if got := commits() - before; got != 1 {
			t.Errorf("the three sends took %d commits, want 1", got)
		}
		if last := e.LastAudit(); last.ObjectID != msgs[3].ID || last.Action != "message.send" {
			t.Errorf("last entry %s about %s, want message.send about %s", last.Action, last.ObjectID, msgs[3].ID)
		}
	}
	if conn != nil {
		for _, i := range []int{0, 1, 3} {
			var x string
			if err := conn.QueryRowContext(e.Ctx, "SELECT xmin::text FROM messages WHERE id = $1", msgs[i].ID).Scan(&x); err != nil {
				t.Fatal(err)
			}
			t.Logf("send %d committed in transaction %s", i, x)
		}
	}
	e.MustVerify()
}
