package main

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/app"
	"github.com/forewarn/forewarn/sqlite"
	"github.com/forewarn/forewarn/sqlstore"
)

// claimGate stands between one server and the store both servers share. Each server's
// first claim waits until the other has reached its own, so both claim at once before
// either sends one: what then keeps a delivery from being sent twice is the claim
// alone, not timing. With bypass set the claim is not made at all:
// every delivery listed counts as claimed, as if claims did not exist.
type claimGate struct {
	forewarn.Store
	bypass bool
	both   *sync.WaitGroup
	once   sync.Once
}

func (g *claimGate) ClaimDeliveries(ctx context.Context, owner string, now, until time.Time, ds []*forewarn.Delivery) ([]*forewarn.Delivery, error) {
	g.once.Do(func() { g.both.Done(); g.both.Wait() })
	if g.bypass {
		return ds, nil
	}
	return g.Store.ClaimDeliveries(ctx, owner, now, until, ds)
}

// ClaimDueTo is the delivery worker's list, claim and read in one: the gate stands
// before it as before a claim; bypassed, every due delivery listed counts as claimed.
func (g *claimGate) ClaimDueTo(ctx context.Context, owner, agency string, now, until time.Time, limit int) ([]*forewarn.Delivery, map[string][]byte, error) {
	g.once.Do(func() { g.both.Done(); g.both.Wait() })
	if !g.bypass {
		return g.Store.ClaimDueTo(ctx, owner, agency, now, until, limit)
	}
	ds, err := g.Store.DueDeliveriesTo(ctx, agency, now, limit)
	if err != nil {
		return nil, nil, err
	}
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.MessageID
	}
	envs, err := g.Store.Envelopes(ctx, ids)
	return ds, envs, err
}

// countingTransport counts the envelopes put on the wire, as the HA test's proxy does.
type countingTransport struct {
	next  app.Transport
	sends atomic.Int64
}

func (c *countingTransport) Deliver(ctx context.Context, p *forewarn.Peer, env []byte) ([]byte, error) {
	c.sends.Add(1)
	return c.next.Deliver(ctx, p, env)
}

// TestHACheckerCatchesDoubleWork shows that the checks TestTwoServersOnePostgresHA ends
// with can fail. Two delivery workers ("servers") share TR-MIT's store and deliver the
// same 20 warnings to FR-DGSI over loopback, each having listed them all as due. With the
// store's claims, the checks hold; with the claims bypassed, both send every warning and
// the checks say so, although the recipient stores each once and the sender records
// each receipt once. Then two overdue deliveries are escalated by both servers (once
// each, the checks hold), and a step fired a second time, as a scheduler without the
// store's guard would fire it, is caught too.
func TestHACheckerCatchesDoubleWork(t *testing.T) {
	for _, bypass := range []bool{false, true} {
		t.Run(fmt.Sprintf("claims bypassed=%v", bypass), func(t *testing.T) {
			const out = 20
			ctx := context.Background()
			tr, fr := benchPair(t, "")
			wire := &countingTransport{next: tr.msgs.Transport}
			for i := range out {
				if _, err := tr.msgs.Send(ctx, forewarn.UserActor("liaison"), &forewarn.Message{
					Kind: forewarn.KindNotification, To: []string{agencyFR.Code}, Marks: forewarn.HandlingMarks{TLP: forewarn.TLPGreen},
					Notification: &forewarn.Notification{Summary: fmt.Sprintf("HA checker %d", i), Priority: forewarn.PriorityRoutine,
						Persons: []forewarn.PersonDescriptor{person("p1", benchName(i), "1980")}},
				}); err != nil {
					t.Fatal(err)
				}
			}
			var both sync.WaitGroup
			both.Add(2)
			servers := make([]*app.Messages, 2)
			for i := range servers {
				n := app.New(&claimGate{Store: tr.node.Store, bypass: bypass, both: &both}, tr.node.Clock, tr.node.Signer, nil)
				n.Server = fmt.Sprintf("server %d", i+1)
				servers[i] = app.NewMessages(n, wire)
			}
			// Both servers deliver until nothing is due; a bounded number of rounds.
			for round := 0; ; round++ {
				var wg sync.WaitGroup
				for _, ms := range servers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if _, err := ms.DeliverDue(ctx, 16); err != nil {
							t.Error(err)
						}
					}()
				}
				wg.Wait()
				due, err := tr.node.Store.DueDeliveries(ctx, time.Now(), 1)
				if err != nil {
					t.Fatal(err)
				}
				if len(due) == 0 {
					break
				}
				if round == 20 {
					t.Fatalf("deliveries still due after %d rounds", round)
				}
			}
			run := haRun{
				sender:    haStore{count: func(q string) int { return count(t, tr.dir, q) }, summary: sqliteSummary},
				recipient: haStore{count: func(q string) int { return count(t, fr.dir, q) }, summary: sqliteSummary},
				out:       out, sends: int(wire.sends.Load()),
			}
			problems := run.problems()
			if !bypass {
				if len(problems) > 0 {
					t.Fatalf("with claims, the checks fail: %s", strings.Join(problems, "; "))
				}
				checkEscalations(t, ctx, tr, servers, run)
				return
			}
			t.Logf("claims bypassed: %d envelopes sent for %d warnings; the checks say %q", wire.sends.Load(), out, problems)
			if len(problems) != 1 || !strings.Contains(problems[0], "sent by two servers") {
				t.Fatalf("with claims bypassed, %d envelopes were sent for %d warnings; the checks say %q, want one problem naming the double sending",
					wire.sends.Load(), out, problems)
			}
		})
	}
}

// checkEscalations makes two of the sender's deliveries overdue, has both servers
// escalate at once, and checks that the HA checks hold; then it repeats a fired step in
// the store, as a second scheduler without the store's guard would, and checks that they
// catch it.
func checkEscalations(t *testing.T, ctx context.Context, tr *liveNode, servers []*app.Messages, run haRun) {
	t.Helper()
	db, err := sql.Open("sqlite", sqlite.DSN(filepath.Join(tr.dir, dbFileName)))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	past := sqlstore.FormatTime(time.Now().Add(-time.Minute))
	exec("UPDATE deliveries SET deadline = ?, next_escalation = ? WHERE direction = 'out' AND message_id IN (SELECT message_id FROM deliveries WHERE direction = 'out' ORDER BY message_id LIMIT 2)", past, past)
	var wg sync.WaitGroup
	for _, ms := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := ms.Escalate(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	run.overdue, run.overdueCount = past, 2
	if problems := run.problems(); len(problems) > 0 {
		t.Fatalf("after both servers escalated, the checks fail: %s", strings.Join(problems, "; "))
	}
	exec("INSERT INTO escalations (id, message_id, agency, side, step, notify, username, text, fired_at) SELECT id || '-again', message_id, agency, side, step, notify, username, text, fired_at FROM escalations")
	problems := run.problems()
	if !strings.Contains(strings.Join(problems, "\n"), "escalation steps fired twice: 2, want 0") {
		t.Fatalf("a step fired twice is not caught: %q", problems)
	}
}
