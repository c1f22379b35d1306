package app

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/forewarn/forewarn"
	"github.com/forewarn/forewarn/envelope"
)

// Default retry timing for deliveries: exponential backoff with jitter, so that peers
// coming back after an outage are not hit by every sender at once.
const (
	DefaultRetryBase = time.Second
	DefaultRetryMax  = 5 * time.Minute
)

// Backoff returns how long to wait before the next attempt after attempts failed ones:
// base/2 plus a random duration up to base·2^(attempts-1), the random part capped at max.
func Backoff(attempts int, base, max time.Duration) time.Duration {
	ceiling := max
	if attempts < 30 {
		if c := base << (attempts - 1); attempts >= 1 && c > 0 && c < max {
			ceiling = c
		}
	}
	return base/2 + time.Duration(rand.Int64N(int64(ceiling)+1))
}

// maxReceiptBytes bounds a receipt from a peer.
const maxReceiptBytes = 64 << 10

// Poke wakes the delivery worker, as after a message is queued.
func (ms *Messages) Poke() {
	select {
	case ms.poke <- struct{}{}:
	default:
	}
}

// DeliverDue sends every delivery that is due now, up to parallel at a time, and records
// the receipts together in one transaction and each failure with its next attempt. It
// returns how many were delivered. A crash before the receipts are recorded only means
// the messages are sent again, and their recipients answer with the same receipts.
func (ms *Messages) DeliverDue(ctx context.Context, parallel int) (int, error) {
	now := ms.Clock.Now()
	due, err := ms.Store.DueDeliveries(ctx, now, 500)
	if err != nil {
		return 0, err
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		receipts []forewarn.DeliveryReceipt
		sem      = make(chan struct{}, max(parallel, 1))
	)
	for _, d := range due {
		sem <- struct{}{}
		wg.Add(1)
		go func(d *forewarn.Delivery) {
			defer func() { <-sem; wg.Done() }()
			r, err := ms.deliver(ctx, d)
			if err != nil {
				ms.Stats.DeliveryFailures.Add(1)
				next := ms.Clock.Now().Add(Backoff(d.Attempts+1, ms.RetryBase, ms.RetryMax))
				ms.Logger.Warn("delivery failed", "id", d.MessageID, "to", d.Agency, "attempt", d.Attempts+1, "err", err, "retry_at", next)
				if ferr := ms.Store.DeliveryFailed(ctx, d.MessageID, d.Agency, truncate(printable(err.Error()), 500), next); ferr != nil {
					ms.Logger.Error("could not record a failed delivery", "id", d.MessageID, "err", ferr)
				}
				return
			}
			ms.Logger.Debug("delivered", "id", d.MessageID, "to", d.Agency, "attempt", d.Attempts+1)
			mu.Lock()
			receipts = append(receipts, r)
			mu.Unlock()
		}(d)
	}
	wg.Wait()
	if len(receipts) == 0 {
		return 0, nil
	}
	if err := ms.Store.Delivered(ctx, receipts...); err != nil {
		return 0, err
	}
	ms.Stats.Delivered.Add(int64(len(receipts)))
	return len(receipts), nil
}

// deliver sends one message to one peer and returns its verified receipt.
func (ms *Messages) deliver(ctx context.Context, d *forewarn.Delivery) (forewarn.DeliveryReceipt, error) {
	var none forewarn.DeliveryReceipt
	env, err := ms.Store.Envelope(ctx, d.MessageID)
	if err != nil {
		return none, err
	}
	peer, err := ms.Store.Peer(ctx, d.Agency)
	if err != nil {
		return none, fmt.Errorf("peer %s: %w", d.Agency, err)
	}
	raw, err := ms.Transport.Deliver(ctx, peer, env)
	if err != nil {
		return none, err
	}
	r, err := envelope.OpenReceipt(raw, func(agency string) (ed25519.PublicKey, error) {
		if agency != peer.Agency.Code {
			return nil, forewarn.Errorf(forewarn.EUNAUTHORIZED, "receipt signed by %s, not by the recipient %s", agency, peer.Agency.Code)
		}
		return peer.PublicKey, nil
	}, maxReceiptBytes)
	if err != nil {
		return none, fmt.Errorf("receipt from %s: %w", peer.Agency.Code, err)
	}
	digest, err := envelope.Digest(env)
	if err != nil {
		return none, err
	}
	if r.MessageID != d.MessageID || r.Digest != digest {
		return none, fmt.Errorf("receipt from %s is for another message or other content", peer.Agency.Code)
	}
	return forewarn.DeliveryReceipt{MessageID: d.MessageID, Agency: d.Agency, Receipt: raw, At: r.ReceivedAt}, nil
}

// Escalate fires every escalation step due now, on this node's side of each open
// delivery: for messages it sent, the sender's steps; for messages it received, the
// recipient's. Fired steps and the time of the next are stored, so a restart neither
// repeats nor skips one.
func (ms *Messages) Escalate(ctx context.Context) (int, error) {
	now := ms.Clock.Now()
	open, err := ms.Store.OpenDeliveries(ctx, now, 1000)
	if err != nil {
		return 0, err
	}
	fired := 0
	for _, d := range open {
		sm, err := ms.Store.Message(ctx, d.MessageID)
		if err != nil {
			return fired, err
		}
		side := sideOf(d)
		due := ms.Policy.DueSteps(sm.Priority, d.Deadline, now, side, d.Escalated, d.Owner)
		for k, i := range due {
			step := ms.Policy.Steps[i]
			next := time.Time{}
			if k == len(due)-1 {
				next, _ = ms.Policy.NextStepTime(sm.Priority, d.Deadline, side, i+1, d.Owner)
			} else {
				next = now
			}
			user, role := step.Tells(d.Owner)
			e := &forewarn.Escalation{
				MessageID: d.MessageID, Agency: d.Agency, Side: side, Step: i + 1, Notify: role, Username: user,
				Text:    forewarn.EscalationText(side, sm.Message.Kind, sm.Message.From, d.Agency, d.Deadline, d.Delivered()),
				FiredAt: now,
			}
			if err := ms.Store.Escalate(ctx, e, next); err != nil {
				return fired, err
			}
			ms.Stats.Escalations.Add(1)
			ms.Logger.Warn("escalated", "id", d.MessageID, "agency", d.Agency, "side", side, "step", i+1, "notify", role, "owner", user)
			fired++
		}
	}
	return fired, nil
}

func sideOf(d *forewarn.Delivery) forewarn.EscalationSide {
	if d.Direction == forewarn.DirectionIn {
		return forewarn.SideRecipient
	}
	return forewarn.SideSender
}

// Tick does one round of the node's scheduled work at the clock's current time: deliver
// what is due, then escalate what is overdue. It returns how many messages it delivered.
// Tests and the scenario replay call it after moving a simulated clock; Run calls it on a
// timer.
func (ms *Messages) Tick(ctx context.Context) (int, error) {
	start := time.Now()
	n, err := ms.DeliverDue(ctx, 16)
	if err != nil {
		return n, err
	}
	fired, err := ms.Escalate(ctx)
	if fired > 0 {
		ms.Notifier.Poke()
	}
	if n > 0 || fired > 0 {
		ms.Logger.Debug("scheduled round", "delivered", n, "escalations", fired, "took", time.Since(start))
	}
	if err != nil {
		return n, err
	}
	return n, ms.housekeep(ctx)
}

// housekeep deletes expired sessions, at most once an hour.
func (ms *Messages) housekeep(ctx context.Context) error {
	now := ms.Clock.Now()
	if now.Sub(ms.lastHousekeeping) < time.Hour {
		return nil
	}
	ms.lastHousekeeping = now
	_, err := ms.Store.PurgeSessions(ctx, now)
	return err
}

// Run ticks every interval, at once when a message is queued, and again straight away
// while a round delivered something (a backlog after an outage drains at full speed),
// until ctx ends.
// While the work fails (the store is unreachable), it backs off and logs sparingly.
func (ms *Messages) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var down outage
	for {
		n, err := ms.Tick(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			select {
			case <-ctx.Done():
				return
			case <-time.After(down.failed(ms.Logger, "scheduled work", err, interval)):
			}
			continue
		}
		down.succeeded(ms.Logger, "scheduled work")
		if n > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-ms.poke:
		}
	}
}
