package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
)

// Retention and review (issue 12, docs/retention.md): every subject and received message
// gets a review date from the node's policy; at that date its owner, or the analysts, are
// alerted to keep it (with a reason and a new date) or erase it. Erasure removes the
// personal data from the store and so, through the change log, from every node's match
// index, then compacts the database so the bytes leave its files, and tells the
// originators whose agreements ask for it.

// Review does one round of retention work at the clock's time: it gives the items stored
// since the last round their review dates and raises the alerts of the reviews now due.
// It returns how many alerts it raised. Tick and Run call it; so can a test after moving
// a simulated clock.
func (ms *Messages) Review(ctx context.Context) (int, error) {
	if _, err := ms.Store.AssignReviews(ctx); err != nil {
		return 0, err
	}
	alerts, err := ms.Store.AlertDueReviews(ctx, 0)
	if err != nil {
		return 0, err
	}
	if len(alerts) > 0 {
		ms.Logger.Info("retention reviews due", "alerts", len(alerts))
		if ms.Notifier != nil {
			ms.Notifier.Poke()
		}
	}
	return len(alerts), nil
}

// KeepItem keeps an item at its review, or moves its review date: reason is required.
func (ms *Messages) KeepItem(ctx context.Context, p *forewarn.Principal, kind forewarn.RetentionKind, id string, until time.Time, reason string) (*forewarn.Review, error) {
	if !p.Can(forewarn.PermRetention) {
		return nil, forewarn.Errorf(forewarn.EFORBIDDEN, "only an analyst, a liaison officer or a supervisor reviews what the node keeps")
	}
	return ms.Store.SetReview(ctx, p.Actor(), kind, id, until, reason)
}

// EraseItem erases a subject or a received message for reason (see Store.Erase), then
// makes the match index drop it, compacts the database and sends the notices the erasure
// owes the originators that asked to be told (SendErasureNotices).
func (ms *Messages) EraseItem(ctx context.Context, p *forewarn.Principal, kind forewarn.RetentionKind, id, reason string) (*forewarn.Tombstone, error) {
	if !p.Can(forewarn.PermRetention) {
		return nil, forewarn.Errorf(forewarn.EFORBIDDEN, "only an analyst, a liaison officer or a supervisor erases what the node holds")
	}
	return ms.Erase(ctx, p.Actor(), kind, id, reason)
}

// Erase is EraseItem for an actor already authorised (the node's operator on the CLI).
func (ms *Messages) Erase(ctx context.Context, actor forewarn.Actor, kind forewarn.RetentionKind, id, reason string) (*forewarn.Tombstone, error) {
	ts, err := ms.Store.Erase(ctx, actor, kind, id, reason)
	if err != nil {
		return nil, err
	}
	ms.Logger.Info("erased", "kind", kind, "id", id, "persons", ts.Persons, "by", actor.ID)
	if ms.Matcher != nil {
		if _, err := ms.Matcher.CatchUp(ctx); err != nil {
			ms.Logger.Error("the match index could not catch up after an erasure; the next match does", "err", err)
		}
	}
	if err := ms.Store.Compact(ctx); err != nil {
		ms.Logger.Error("compacting after an erasure failed; erased bytes may remain in the database files until the next compaction", "err", err)
	}
	if _, err := ms.SendErasureNotices(ctx); err != nil {
		ms.Logger.Error("erasure notices not sent yet; the next tick retries", "err", err)
	}
	return ts, nil
}

// SendErasureNotices tells the originator of each received message persons were erased
// from, when its sharing agreement asked for it at the erasure (the store wrote the
// pending notice in the erasure's transaction): a response in the message's thread that
// names no person, written with the notice it settles and delivered by the outbox, with
// retries and backoff, until the originator's node receipts it. So a partner that is down
// learns of the erasure when it is back. It runs after each erasure and on every tick. A
// notice the agreement or the marks now refuse is settled as refused, audited and logged;
// the erasure stands. It returns how many notices it sent.
func (ms *Messages) SendErasureNotices(ctx context.Context) (int, error) {
	pending, err := ms.Store.PendingErasureNotices(ctx)
	if err != nil || len(pending) == 0 {
		return 0, err
	}
	self, err := ms.Agency(ctx)
	if err != nil {
		return 0, err
	}
	actor := forewarn.SystemActor("retention")
	sent := 0
	for _, en := range pending {
		orig, err := ms.Store.Message(ctx, en.MessageID)
		if err != nil {
			return sent, err
		}
		what := "the person it named"
		if en.Erased == forewarn.RetainMessage {
			what = "its content"
		}
		n := &forewarn.Message{
			Kind: forewarn.KindResponse, To: []string{en.Originator}, InReplyTo: en.MessageID,
			Marks: consentMarks(orig.Message.Marks, en.Originator),
			Response: &forewarn.Response{Answer: fmt.Sprintf("Erasure notice: %s erased %s of your %s %s of %s on %s, at its retention review (tombstone digest %s).",
				self, what, orig.Message.Kind, orig.SenderID(), orig.Message.Created.UTC().Format("2 Jan 2006"), en.ErasedAt.UTC().Format("2 Jan 2006"), shortDigest(en.Digest))},
		}
		_, err = ms.sendErasureNotice(ctx, actor, n, en.ID)
		switch code := forewarn.ErrorCode(err); {
		case err == nil:
			sent++
		case code == forewarn.ECONFLICT:
			// settled meanwhile, by another server's round
		case code == forewarn.EFORBIDDEN || code == forewarn.EINVALID:
			// The agreement or the marks refuse it (each refusal audited where it was
			// decided): settled, so it is not asked again every tick.
			ms.Logger.Error("erasure notice refused", "to", en.Originator, "message", en.MessageID, "err", err)
			if rerr := ms.Store.RefuseErasureNotice(ctx, actor, en.ID, truncate(forewarn.ErrorMessage(err), 500)); rerr != nil && forewarn.ErrorCode(rerr) != forewarn.ECONFLICT {
				return sent, rerr
			}
		default:
			return sent, err
		}
	}
	if sent > 0 {
		ms.Poke()
	}
	return sent, nil
}

func shortDigest(d string) string {
	if len(d) > 16 {
		return d[:16]
	}
	return d
}

// ParseRetentionKind reads "subject" or "message".
func ParseRetentionKind(s string) (forewarn.RetentionKind, error) {
	k := forewarn.RetentionKind(strings.ToLower(strings.TrimSpace(s)))
	if !k.Valid() {
		return "", forewarn.Invalid("kind", "enum", "kind is subject or message, not %q", s)
	}
	return k, nil
}
