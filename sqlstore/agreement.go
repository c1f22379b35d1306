package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/forewarn/forewarn"
)

// SetAgreement records what this node has agreed to send a peer, replacing what it had
// agreed before, audited with both digests.
func (db *DB) SetAgreement(ctx context.Context, actor forewarn.Actor, a *forewarn.SharingAgreement) error {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return err
	}
	if a == nil {
		return required("agreement")
	}
	if err := a.Validate(); err != nil {
		return err
	}
	v := *a
	v.UpdatedAt = now
	data, err := json.Marshal(&v)
	if err != nil {
		return err
	}
	err = db.update(ctx, now, "set agreement", func(tx *tx) error {
		if _, err := tx.peer(ctx, v.Agency); err != nil {
			return err
		}
		old, err := tx.agreement(ctx, v.Agency)
		var before any
		switch {
		case err == nil:
			before = old
			_, err = tx.exec(ctx, "UPDATE sharing_agreements SET data = ?, updated_at = ? WHERE agency_code = ?", string(data), FormatTime(now), v.Agency)
		case forewarn.ErrorCode(err) == forewarn.ENOTFOUND:
			_, err = tx.exec(ctx, "INSERT INTO sharing_agreements (agency_code, data, updated_at) VALUES (?, ?, ?)", v.Agency, string(data), FormatTime(now))
		}
		if err != nil {
			return fmt.Errorf("write agreement: %w", err)
		}
		return tx.audit(ctx, actor, "agreement.set", "peer", v.Agency, before, &v, agreementDetail(&v))
	})
	if err != nil {
		return err
	}
	*a = v
	return nil
}

func agreementDetail(a *forewarn.SharingAgreement) string {
	return fmt.Sprintf("kinds %v up to TLP:%s, consent-required %t, forwarded %t, notify erasure %t", a.Kinds, a.MaxTLP, a.ConsentRequired, a.Forwarded, a.NotifyErasure)
}

// Agreement returns the agreement with a peer; ENOTFOUND when there is none.
func (db *DB) Agreement(ctx context.Context, agency string) (*forewarn.SharingAgreement, error) {
	var a *forewarn.SharingAgreement
	err := db.viewOne(ctx, "read agreement", func(tx *tx) error {
		var err error
		a, err = tx.agreement(ctx, agency)
		return err
	})
	return a, err
}

func (tx *tx) agreement(ctx context.Context, agency string) (*forewarn.SharingAgreement, error) {
	return queryDoc[forewarn.SharingAgreement](ctx, tx, "agreement with "+agency, notFound("there is no sharing agreement with %s", agency),
		"SELECT data FROM sharing_agreements WHERE agency_code = ?", agency)
}

// Agreements returns every agreement, by agency code.
func (db *DB) Agreements(ctx context.Context) ([]*forewarn.SharingAgreement, error) {
	var out []*forewarn.SharingAgreement
	err := db.view(ctx, "list agreements", func(tx *tx) error {
		var err error
		out, err = queryDocs[forewarn.SharingAgreement](ctx, tx, "agreement", "SELECT data FROM sharing_agreements ORDER BY agency_code")
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// RemoveAgreement removes the agreement with a peer, audited; ENOTFOUND when there is none.
func (db *DB) RemoveAgreement(ctx context.Context, actor forewarn.Actor, agency string) error {
	if err := actor.Validate(); err != nil {
		return err
	}
	return db.update(ctx, db.now(), "remove agreement", func(tx *tx) error {
		old, err := tx.agreement(ctx, agency)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "DELETE FROM sharing_agreements WHERE agency_code = ?", agency); err != nil {
			return fmt.Errorf("delete agreement: %w", err)
		}
		return tx.audit(ctx, actor, "agreement.remove", "peer", agency, old, nil, "")
	})
}
