package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/forewarn/forewarn"
)

// writeForward writes f in the transaction of the message it causes: a new forward when
// from is "", otherwise only if it is still in status from (ECONFLICT when another
// decision came first). Every change is audited as forward.<status>.
func (tx *tx) writeForward(ctx context.Context, actor forewarn.Actor, f *forewarn.Forward, from forewarn.ForwardStatus, now string) error {
	data, err := json.Marshal(f)
	if err != nil {
		return err
	}
	var before any
	if from == "" {
		if _, err := tx.exec(ctx, "INSERT INTO forwards (id, message_id, status, data, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
			f.ID, f.MessageID, string(f.Status), string(data), FormatTime(f.CreatedAt), now); err != nil {
			return fmt.Errorf("insert forward: %w", err)
		}
	} else {
		old, err := tx.forward(ctx, f.ID)
		if err != nil {
			return err
		}
		if old.Status != from || (from == f.Status && old.NoticeID != "") {
			title, _ := tx.messageTitle(ctx, old.MessageID)
			return forewarn.Errorf(forewarn.ECONFLICT, "the forward of “%s” to %s is %s already", title, old.To, old.Status)
		}
		before = old
		if _, err := tx.exec(ctx, "UPDATE forwards SET status = ?, data = ?, updated_at = ? WHERE id = ?", string(f.Status), string(data), now, f.ID); err != nil {
			return fmt.Errorf("update forward: %w", err)
		}
	}
	// The trail keeps who, what and to whom, and digests; the reasons are in the record.
	detail := fmt.Sprintf("message %s of %s to %s, requested by %s", f.MessageID, f.Originator, f.To, f.RequestedBy)
	if f.OverrideBy != "" {
		detail += ", imminent-threat override by " + f.OverrideBy
	}
	action := "forward." + string(f.Status)
	if from != "" && from == f.Status {
		action = "forward.originator_notified" // the only change within a status
	}
	return tx.audit(ctx, actor, action, "forward", f.ID, before, f, detail)
}

func (tx *tx) forward(ctx context.Context, id string) (*forewarn.Forward, error) {
	return queryDoc[forewarn.Forward](ctx, tx, "forward "+id, notFound("there is no such forward"),
		"SELECT data FROM forwards WHERE id = ?", id)
}

// Forward returns one forward.
func (db *DB) Forward(ctx context.Context, id string) (*forewarn.Forward, error) {
	var f *forewarn.Forward
	err := db.view(ctx, "read forward", func(tx *tx) error {
		var err error
		f, err = tx.forward(ctx, id)
		return err
	})
	return f, err
}

// Forwards returns the forwards the filter selects, oldest first.
func (db *DB) Forwards(ctx context.Context, flt forewarn.ForwardFilter) ([]*forewarn.Forward, error) {
	var out []*forewarn.Forward
	q, args := "SELECT data FROM forwards WHERE 1 = 1", []any{}
	if flt.Status != "" {
		q, args = q+" AND status = ?", append(args, string(flt.Status))
	}
	if flt.MessageID != "" {
		q, args = q+" AND message_id = ?", append(args, flt.MessageID)
	}
	err := db.view(ctx, "list forwards", func(tx *tx) error {
		var err error
		out, err = queryDocs[forewarn.Forward](ctx, tx, "forward", q+" ORDER BY created_at, id", args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RefuseForward records the originator's refusal of a forward awaiting its consent.
func (db *DB) RefuseForward(ctx context.Context, actor forewarn.Actor, f *forewarn.Forward) error {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return err
	}
	if f == nil || f.Status != forewarn.ForwardRefused {
		return forewarn.Invalid("status", "refused", "RefuseForward records a refusal")
	}
	return db.update(ctx, now, "refuse forward", func(tx *tx) error {
		return tx.writeForward(ctx, actor, f, forewarn.ForwardAwaitingConsent, FormatTime(now))
	})
}
