package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/forewarn/forewarn"
)

// CreateClaim records a claim about an existing subject; ENOTFOUND names the subject
// when there is none.
func (db *DB) CreateClaim(ctx context.Context, actor forewarn.Actor, c *forewarn.Claim) error {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return err
	}
	if c == nil {
		return required("claim")
	}
	if err := c.Validate(now); err != nil {
		return err
	}
	if err := validateClaimMessage(c); err != nil {
		return err
	}
	v := *c
	v.ID, v.RecordedAt = forewarn.NewID(now), now
	// A claim becomes preferred only through PreferClaim, which records why and clears
	// the claims it conflicts with.
	v.Preferred, v.PreferredReason = false, ""
	err := db.update(ctx, now, "create claim", func(tx *tx) error {
		if err := tx.subjectExists(ctx, "subject_id", v.SubjectID); err != nil {
			return err
		}
		return tx.insertClaim(ctx, actor, &v)
	})
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// validateClaimMessage checks the claim's optional message reference.
func validateClaimMessage(c *forewarn.Claim) error {
	if c.MessageID != "" && !forewarn.IsMessageID(c.MessageID) {
		return forewarn.Invalid("message_id", "uuidv7", "%q is not a message ID", c.MessageID)
	}
	return nil
}

// insertClaim writes a validated claim about an existing subject and audits it.
func (tx *tx) insertClaim(ctx context.Context, actor forewarn.Actor, c *forewarn.Claim) error {
	if _, err := tx.exec(ctx, "INSERT INTO claims ("+claimColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		c.ID, c.SubjectID, string(c.Kind), c.Value, c.ValidFrom.String(), c.ValidTo.String(), FormatTime(c.RecordedAt),
		c.Source.Agency, c.Source.Name, c.Grading.Reliability, c.Grading.Credibility, c.Negative, c.Note,
		c.MessageID, c.Preferred, c.PreferredReason); err != nil {
		return fmt.Errorf("insert claim: %w", err)
	}
	return tx.audit(ctx, actor, "claim.create", "claim", c.ID, nil, c, "subject "+c.SubjectID)
}

const claimColumns = "id, subject_id, kind, value, valid_from, valid_to, recorded_at, source_agency, source_name, reliability, credibility, negative, note, message_id, preferred, preferred_reason"

// claim reads one claim; ENOTFOUND when there is none with that ID.
func (tx *tx) claim(ctx context.Context, id string) (*forewarn.Claim, error) {
	c, err := scanClaim(tx.queryRow(ctx, "SELECT "+claimColumns+" FROM claims WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("no claim with id %q", id)
	}
	return c, err
}

func scanClaim(s scanner) (*forewarn.Claim, error) {
	var c forewarn.Claim
	var kind, from, to, recorded string
	if err := s.Scan(&c.ID, &c.SubjectID, &kind, &c.Value, &from, &to, &recorded, &c.Source.Agency, &c.Source.Name, &c.Grading.Reliability, &c.Grading.Credibility, &c.Negative, &c.Note,
		&c.MessageID, &c.Preferred, &c.PreferredReason); err != nil {
		return nil, err
	}
	c.Kind = forewarn.ClaimKind(kind)
	var err error
	if c.ValidFrom, err = forewarn.ParsePartialDate(from); err != nil {
		return nil, fmt.Errorf("claim %s valid_from: %w", c.ID, err)
	}
	if c.ValidTo, err = forewarn.ParsePartialDate(to); err != nil {
		return nil, fmt.Errorf("claim %s valid_to: %w", c.ID, err)
	}
	if c.RecordedAt, err = ParseTime(recorded); err != nil {
		return nil, fmt.Errorf("claim %s: %w", c.ID, err)
	}
	return &c, nil
}

// Claims returns the claims about a subject in the order they were recorded.
func (db *DB) Claims(ctx context.Context, subjectID string) ([]*forewarn.Claim, error) {
	cs := []*forewarn.Claim{}
	err := db.view(ctx, "list claims", func(tx *tx) error {
		if err := tx.subjectExists(ctx, "subject_id", subjectID); err != nil {
			return err
		}
		rows, err := tx.query(ctx, "SELECT "+claimColumns+" FROM claims WHERE subject_id = ? ORDER BY recorded_at, id", subjectID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanClaim(rows)
			if err != nil {
				return err
			}
			cs = append(cs, c)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return cs, nil
}

// CreateAssociation links two existing subjects; ENOTFOUND names the one that is missing.
func (db *DB) CreateAssociation(ctx context.Context, actor forewarn.Actor, a *forewarn.Association) error {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return err
	}
	if a == nil {
		return required("association")
	}
	if err := a.Validate(); err != nil {
		return err
	}
	v := *a
	v.ID, v.RecordedAt = forewarn.NewID(now), now
	err := db.update(ctx, now, "create association", func(tx *tx) error {
		if err := tx.subjectExists(ctx, "from_id", v.FromID); err != nil {
			return err
		}
		if err := tx.subjectExists(ctx, "to_id", v.ToID); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "INSERT INTO associations (id, from_id, to_id, kind, source_agency, source_name, reliability, credibility, note, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			v.ID, v.FromID, v.ToID, string(v.Kind), v.Source.Agency, v.Source.Name, v.Grading.Reliability, v.Grading.Credibility, v.Note, FormatTime(v.RecordedAt)); err != nil {
			return fmt.Errorf("insert association: %w", err)
		}
		return tx.audit(ctx, actor, "association.create", "association", v.ID, nil, &v, "subjects "+v.FromID+" "+v.ToID)
	})
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// Associations returns the associations from or to a subject in the order they were
// recorded.
func (db *DB) Associations(ctx context.Context, subjectID string) ([]*forewarn.Association, error) {
	as := []*forewarn.Association{}
	err := db.view(ctx, "list associations", func(tx *tx) error {
		if err := tx.subjectExists(ctx, "subject_id", subjectID); err != nil {
			return err
		}
		rows, err := tx.query(ctx, "SELECT id, from_id, to_id, kind, source_agency, source_name, reliability, credibility, note, recorded_at FROM associations WHERE from_id = ? OR to_id = ? ORDER BY recorded_at, id", subjectID, subjectID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a forewarn.Association
			var kind, recorded string
			if err := rows.Scan(&a.ID, &a.FromID, &a.ToID, &kind, &a.Source.Agency, &a.Source.Name, &a.Grading.Reliability, &a.Grading.Credibility, &a.Note, &recorded); err != nil {
				return err
			}
			a.Kind = forewarn.AssociationKind(kind)
			if a.RecordedAt, err = ParseTime(recorded); err != nil {
				return fmt.Errorf("association %s: %w", a.ID, err)
			}
			as = append(as, &a)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	return as, nil
}
