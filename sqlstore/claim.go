package sqlstore

import (
	"context"
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
	v := *c
	v.ID, v.RecordedAt = forewarn.NewID(now), now
	err := db.update(ctx, now, "create claim", func(tx *tx) error {
		if err := tx.subjectExists(ctx, "subject_id", v.SubjectID); err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "INSERT INTO claims (id, subject_id, kind, value, valid_from, valid_to, recorded_at, source_agency, source_name, reliability, credibility, negative, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			v.ID, v.SubjectID, string(v.Kind), v.Value, v.ValidFrom.String(), v.ValidTo.String(), FormatTime(v.RecordedAt),
			v.Source.Agency, v.Source.Name, v.Grading.Reliability, v.Grading.Credibility, v.Negative, v.Note); err != nil {
			return fmt.Errorf("insert claim: %w", err)
		}
		return tx.audit(ctx, actor, "claim.create", "claim", v.ID, nil, &v, "subject "+v.SubjectID)
	})
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Claims returns the claims about a subject in the order they were recorded.
func (db *DB) Claims(ctx context.Context, subjectID string) ([]*forewarn.Claim, error) {
	cs := []*forewarn.Claim{}
	err := db.view(ctx, "list claims", func(tx *tx) error {
		if err := tx.subjectExists(ctx, "subject_id", subjectID); err != nil {
			return err
		}
		rows, err := tx.query(ctx, "SELECT id, subject_id, kind, value, valid_from, valid_to, recorded_at, source_agency, source_name, reliability, credibility, negative, note FROM claims WHERE subject_id = ? ORDER BY recorded_at, id", subjectID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c forewarn.Claim
			var kind, from, to, recorded string
			if err := rows.Scan(&c.ID, &c.SubjectID, &kind, &c.Value, &from, &to, &recorded, &c.Source.Agency, &c.Source.Name, &c.Grading.Reliability, &c.Grading.Credibility, &c.Negative, &c.Note); err != nil {
				return err
			}
			c.Kind = forewarn.ClaimKind(kind)
			if c.ValidFrom, err = forewarn.ParsePartialDate(from); err != nil {
				return fmt.Errorf("claim %s valid_from: %w", c.ID, err)
			}
			if c.ValidTo, err = forewarn.ParsePartialDate(to); err != nil {
				return fmt.Errorf("claim %s valid_to: %w", c.ID, err)
			}
			if c.RecordedAt, err = ParseTime(recorded); err != nil {
				return fmt.Errorf("claim %s: %w", c.ID, err)
			}
			cs = append(cs, &c)
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
