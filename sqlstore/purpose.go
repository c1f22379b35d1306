package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/forewarn/forewarn"
)

// PurposePolicy returns the node's purposes of access; the default until one is set.
func (db *DB) PurposePolicy(ctx context.Context) (*forewarn.PurposePolicy, error) {
	var p *forewarn.PurposePolicy
	err := db.view(ctx, "read purpose policy", func(tx *tx) error {
		var err error
		p, err = tx.purposePolicy(ctx)
		return err
	})
	return p, err
}

func (tx *tx) purposePolicy(ctx context.Context) (*forewarn.PurposePolicy, error) {
	var data string
	err := tx.queryRow(ctx, "SELECT data FROM purpose_policy WHERE id = 1").Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return forewarn.DefaultPurposePolicy(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read purpose policy: %w", err)
	}
	var p forewarn.PurposePolicy
	if err := json.Unmarshal([]byte(data), &p); err != nil {
		return nil, fmt.Errorf("decode purpose policy: %w", err)
	}
	return &p, nil
}

// SetPurposePolicy replaces the node's purposes of access, audited with both digests.
func (db *DB) SetPurposePolicy(ctx context.Context, actor forewarn.Actor, p *forewarn.PurposePolicy) error {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return err
	}
	if p == nil {
		return required("policy")
	}
	if err := p.Validate(); err != nil {
		return err
	}
	v := *p
	v.UpdatedAt = now
	data, err := json.Marshal(&v)
	if err != nil {
		return err
	}
	err = db.update(ctx, now, "set purpose policy", func(tx *tx) error {
		old, err := tx.purposePolicy(ctx)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "DELETE FROM purpose_policy WHERE id = 1"); err != nil {
			return fmt.Errorf("replace purpose policy: %w", err)
		}
		if _, err := tx.exec(ctx, "INSERT INTO purpose_policy (id, data, updated_at) VALUES (1, ?, ?)", string(data), FormatTime(now)); err != nil {
			return fmt.Errorf("write purpose policy: %w", err)
		}
		return tx.audit(ctx, actor, "purpose.policy", "node", "", old, &v, fmt.Sprintf("%d purposes, search needs a purpose: %t", len(v.Options), v.SearchNeedsPurpose))
	})
	if err != nil {
		return err
	}
	*p = v
	return nil
}
