package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/forewarn/forewarn"
)

// CreateCollection records a TAXII collection and audits it.
func (db *DB) CreateCollection(ctx context.Context, actor forewarn.Actor, c *forewarn.TAXIICollection) error {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return err
	}
	if c == nil {
		return required("collection")
	}
	if err := c.Validate(); err != nil {
		return err
	}
	v := *c
	if v.ID == "" {
		v.ID = newUUID4()
	} else if !isUUID(v.ID) {
		return forewarn.Invalid("id", "uuid", "collection ID %q is not a UUID", v.ID)
	}
	v.CreatedAt = now
	data, err := json.Marshal(&v)
	if err != nil {
		return err
	}
	err = db.update(ctx, now, "create collection", func(tx *tx) error {
		if _, err := tx.exec(ctx, "INSERT INTO taxii_collections (id, data, created_at) VALUES (?, ?, ?)", v.ID, string(data), FormatTime(now)); err != nil {
			if db.dialect.IsUniqueViolation(err) {
				return db.conflict(err, "a collection with ID %s exists", v.ID)
			}
			return fmt.Errorf("insert collection: %w", err)
		}
		return tx.audit(ctx, actor, "taxii.collection.create", "collection", v.ID, nil, &v,
			fmt.Sprintf("%q audience=%s tlp=%s write=%t", v.Title, v.Audience, v.TLP, v.CanWrite))
	})
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Collections returns every TAXII collection, oldest first.
func (db *DB) Collections(ctx context.Context) ([]*forewarn.TAXIICollection, error) {
	var cs []*forewarn.TAXIICollection
	err := db.view(ctx, "list collections", func(tx *tx) error {
		rows, err := tx.query(ctx, "SELECT data FROM taxii_collections ORDER BY created_at, id")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var data string
			if err := rows.Scan(&data); err != nil {
				return err
			}
			var c forewarn.TAXIICollection
			if err := json.Unmarshal([]byte(data), &c); err != nil {
				return fmt.Errorf("decode collection: %w", err)
			}
			cs = append(cs, &c)
		}
		return rows.Err()
	})
	return cs, err
}

// Collection returns one TAXII collection; ENOTFOUND when there is none.
func (db *DB) Collection(ctx context.Context, id string) (*forewarn.TAXIICollection, error) {
	var c forewarn.TAXIICollection
	err := db.view(ctx, "read collection", func(tx *tx) error {
		var data string
		err := tx.queryRow(ctx, "SELECT data FROM taxii_collections WHERE id = ?", id).Scan(&data)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("no TAXII collection %q", id)
		}
		if err != nil {
			return err
		}
		return json.Unmarshal([]byte(data), &c)
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// AddSTIXObjects stores object versions, skipping those already held, with the status of
// the request that posted them, and audits the whole as one entry.
func (db *DB) AddSTIXObjects(ctx context.Context, actor forewarn.Actor, objs []*forewarn.STIXObject, st *forewarn.TAXIIStatus) (int, error) {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return 0, err
	}
	for i, o := range objs {
		field := fmt.Sprintf("objects[%d]", i)
		switch {
		case o == nil:
			return 0, required(field)
		case o.Collection == "":
			return 0, required(field + ".collection")
		case o.ID == "" || !strings.Contains(o.ID, "--"):
			return 0, forewarn.Invalid(field+".id", "stix_id", "%q is not a STIX ID (type--UUID)", o.ID)
		case o.Type == "":
			return 0, required(field + ".type")
		case o.Version == "":
			return 0, required(field + ".version")
		case o.Originator != "" && !forewarn.IsAgencyCode(o.Originator):
			return 0, forewarn.Invalid(field+".originator", "agency_code", "%q is not an agency code", o.Originator)
		case !json.Valid(o.Object):
			return 0, forewarn.Invalid(field+".object", "json", "the object is not JSON")
		}
		if err := o.Marks.Validate(field + ".marks"); err != nil {
			return 0, err
		}
	}
	added := 0
	var collections []string
	err := db.update(ctx, now, "add STIX objects", func(tx *tx) error {
		added = 0
		seen := map[string]bool{}
		collections = nil
		for _, o := range objs {
			if !seen[o.Collection] {
				seen[o.Collection] = true
				collections = append(collections, o.Collection)
				var n int
				if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM taxii_collections WHERE id = ?", o.Collection).Scan(&n); err != nil {
					return err
				}
				if n == 0 {
					return notFound("no TAXII collection %q", o.Collection)
				}
			}
			var n int
			if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM taxii_objects WHERE collection_id = ? AND id = ? AND version = ?", o.Collection, o.ID, o.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			added1 := o.DateAdded
			if added1.IsZero() {
				added1 = now
			}
			marks, err := json.Marshal(o.Marks)
			if err != nil {
				return err
			}
			if _, err := tx.exec(ctx, "INSERT INTO taxii_objects (collection_id, id, type, version, spec_version, date_added, marks, originator, subject_id, object) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
				o.Collection, o.ID, o.Type, o.Version, o.SpecVersion, FormatTime(added1), string(marks), o.Originator, o.SubjectID, string(o.Object)); err != nil {
				return fmt.Errorf("insert STIX object %s: %w", o.ID, err)
			}
			added++
		}
		if st != nil {
			data, err := json.Marshal(st)
			if err != nil {
				return err
			}
			if _, err := tx.exec(ctx, "INSERT INTO taxii_status (id, collection_id, data, created_at) VALUES (?, ?, ?, ?)", st.ID, st.Collection, string(data), FormatTime(now)); err != nil {
				return fmt.Errorf("insert status: %w", err)
			}
		}
		detail := fmt.Sprintf("%d objects posted, %d new versions stored", len(objs), added)
		if st != nil {
			detail += fmt.Sprintf("; status %s: %d succeeded, %d failed", st.ID, st.SuccessCount, st.FailureCount)
		}
		return tx.audit(ctx, actor, "taxii.objects.add", "collection", strings.Join(collections, ","), nil, nil, detail)
	})
	return added, err
}

// STIXObjects returns the stored versions the filter selects, in (date_added, seq) order.
func (db *DB) STIXObjects(ctx context.Context, f forewarn.STIXObjectFilter) ([]*forewarn.STIXObject, error) {
	q := "SELECT seq, collection_id, id, type, version, spec_version, date_added, marks, originator, subject_id, object FROM taxii_objects WHERE collection_id = ?"
	args := []any{f.Collection}
	if !f.AddedAfter.IsZero() {
		q += " AND date_added > ?"
		args = append(args, FormatTime(f.AddedAfter))
	}
	for _, in := range []struct {
		col  string
		vals []string
	}{{"id", f.IDs}, {"type", f.Types}, {"spec_version", f.SpecVersions}} {
		if len(in.vals) == 0 {
			continue
		}
		list, a := inArgs(in.vals)
		q += " AND " + in.col + " IN (" + list + ")"
		args = append(args, a...)
	}
	q += " ORDER BY date_added, seq"
	var objs []*forewarn.STIXObject
	err := db.view(ctx, "read STIX objects", func(tx *tx) error {
		rows, err := tx.query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var o forewarn.STIXObject
			var added, marks, obj string
			if err := rows.Scan(&o.Seq, &o.Collection, &o.ID, &o.Type, &o.Version, &o.SpecVersion, &added, &marks, &o.Originator, &o.SubjectID, &obj); err != nil {
				return err
			}
			if o.DateAdded, err = ParseTime(added); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(marks), &o.Marks); err != nil {
				return fmt.Errorf("decode marks of %s: %w", o.ID, err)
			}
			o.Object = json.RawMessage(obj)
			objs = append(objs, &o)
		}
		return rows.Err()
	})
	return objs, err
}

// TAXIIStatus returns the status of one POST; ENOTFOUND when there is none.
func (db *DB) TAXIIStatus(ctx context.Context, id string) (*forewarn.TAXIIStatus, error) {
	var st forewarn.TAXIIStatus
	err := db.view(ctx, "read status", func(tx *tx) error {
		var data, coll string
		err := tx.queryRow(ctx, "SELECT collection_id, data FROM taxii_status WHERE id = ?", id).Scan(&coll, &data)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("no TAXII status %q", id)
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(data), &st); err != nil {
			return err
		}
		st.Collection = coll
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &st, nil
}

// CreateTAXIIToken records a token for the collections it names, and audits it.
func (db *DB) CreateTAXIIToken(ctx context.Context, actor forewarn.Actor, t *forewarn.TAXIIToken) error {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return err
	}
	if t == nil {
		return required("token")
	}
	if err := checkText("name", t.Name, 200); err != nil {
		return err
	}
	if t.Name == "" || strings.ContainsAny(t.Name, ": \t\r\n") {
		return forewarn.Invalid("name", "basic_user", "a TAXII token needs a name without spaces or colons (it is the HTTP Basic user name)")
	}
	if !forewarn.IsAgencyCode(t.Agency) {
		return forewarn.Invalid("agency", "agency_code", "agency %q is not an agency code like FR-DGSI", t.Agency)
	}
	if len(t.Collections) == 0 {
		return forewarn.Invalid("collections", "required", "a TAXII token is scoped to at least one collection")
	}
	if err := validateHash(t.Hash); err != nil {
		return err
	}
	expires := t.ExpiresAt
	switch {
	case expires.IsZero():
		expires = now.Add(forewarn.DefaultTokenTTL)
	case !expires.After(now):
		return forewarn.Invalid("expires_at", "future", "a token must expire after it is created")
	case expires.Sub(now) > forewarn.MaxTokenTTL:
		return forewarn.Invalid("expires_at", "max", "a token may last at most %d days", int(forewarn.MaxTokenTTL.Hours()/24))
	}
	v := *t
	v.ID, v.CreatedAt, v.ExpiresAt = forewarn.NewID(now), now, expires.UTC()
	data, err := json.Marshal(&v)
	if err != nil {
		return err
	}
	err = db.update(ctx, now, "create TAXII token", func(tx *tx) error {
		for i, c := range v.Collections {
			var n int
			if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM taxii_collections WHERE id = ?", c).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return forewarn.Invalid(fmt.Sprintf("collections[%d]", i), "exists", "no TAXII collection %q", c)
			}
		}
		if _, err := tx.exec(ctx, "INSERT INTO taxii_tokens (id, name, hash, data, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
			v.ID, v.Name, v.Hash, string(data), FormatTime(now), FormatTime(v.ExpiresAt)); err != nil {
			if db.dialect.IsUniqueViolation(err) {
				return db.conflict(err, "a TAXII token named %q exists, or the secret is in use", v.Name)
			}
			return fmt.Errorf("insert TAXII token: %w", err)
		}
		return tx.audit(ctx, actor, "taxii.token.create", "taxii_token", v.ID, nil, &v,
			fmt.Sprintf("%s for %s, collections %s, write=%t", v.Name, v.Agency, strings.Join(v.Collections, ","), v.Write))
	})
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// TAXIITokenByHash returns the token whose secret hashes to hash, unless it expired by now.
func (db *DB) TAXIITokenByHash(ctx context.Context, hash string, now time.Time) (*forewarn.TAXIIToken, error) {
	var t forewarn.TAXIIToken
	err := db.view(ctx, "read TAXII token", func(tx *tx) error {
		var data string
		err := tx.queryRow(ctx, "SELECT data FROM taxii_tokens WHERE hash = ? AND expires_at > ?", hash, FormatTime(now)).Scan(&data)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("no such TAXII token, or it expired")
		}
		if err != nil {
			return err
		}
		return json.Unmarshal([]byte(data), &t)
	})
	if err != nil {
		return nil, err
	}
	t.Hash = hash
	return &t, nil
}

// AddFeed records a feed to poll, due at once, and audits it (never its secret).
func (db *DB) AddFeed(ctx context.Context, actor forewarn.Actor, f *forewarn.Feed) error {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return err
	}
	if f == nil {
		return required("feed")
	}
	if err := f.Validate(); err != nil {
		return err
	}
	v := *f
	v.ID, v.CreatedAt, v.NextPoll = forewarn.NewID(now), now, now
	v.LastPoll, v.LastSuccess, v.Failures, v.LastError = time.Time{}, time.Time{}, 0, ""
	data, err := json.Marshal(&v)
	if err != nil {
		return err
	}
	err = db.update(ctx, now, "add feed", func(tx *tx) error {
		var n int
		if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM feeds WHERE url = ? AND collection = ? AND removed_at = ''", v.URL, v.Collection).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return forewarn.Errorf(forewarn.ECONFLICT, "collection %s at %s is already a feed", v.Collection, v.URL)
		}
		if _, err := tx.exec(ctx, "INSERT INTO feeds (id, url, collection, secret, data, created_at, removed_at) VALUES (?, ?, ?, ?, ?, ?, '')",
			v.ID, v.URL, v.Collection, v.Secret, string(data), FormatTime(now)); err != nil {
			return fmt.Errorf("insert feed: %w", err)
		}
		return tx.audit(ctx, actor, "feed.add", "feed", v.ID, nil, &v, fmt.Sprintf("%s collection %s for %s every %s", v.URL, v.Collection, v.Agency, v.Interval))
	})
	if err != nil {
		return err
	}
	*f = v
	return nil
}

func scanFeed(data, secret string) (*forewarn.Feed, error) {
	var f forewarn.Feed
	if err := json.Unmarshal([]byte(data), &f); err != nil {
		return nil, fmt.Errorf("decode feed: %w", err)
	}
	f.Secret = secret
	return &f, nil
}

// Feeds returns the feeds being polled, oldest first.
func (db *DB) Feeds(ctx context.Context) ([]*forewarn.Feed, error) {
	var fs []*forewarn.Feed
	err := db.view(ctx, "list feeds", func(tx *tx) error {
		rows, err := tx.query(ctx, "SELECT data, secret FROM feeds WHERE removed_at = '' ORDER BY created_at, id")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var data, secret string
			if err := rows.Scan(&data, &secret); err != nil {
				return err
			}
			f, err := scanFeed(data, secret)
			if err != nil {
				return err
			}
			fs = append(fs, f)
		}
		return rows.Err()
	})
	return fs, err
}

// Feed returns one feed being polled; ENOTFOUND otherwise.
func (db *DB) Feed(ctx context.Context, id string) (*forewarn.Feed, error) {
	var f *forewarn.Feed
	err := db.view(ctx, "read feed", func(tx *tx) error {
		var err error
		f, err = tx.feed(ctx, id)
		return err
	})
	return f, err
}

func (tx *tx) feed(ctx context.Context, id string) (*forewarn.Feed, error) {
	var data, secret string
	err := tx.queryRow(ctx, "SELECT data, secret FROM feeds WHERE id = ? AND removed_at = ''", id).Scan(&data, &secret)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("no feed %q", id)
	}
	if err != nil {
		return nil, err
	}
	return scanFeed(data, secret)
}

// RemoveFeed stops polling a feed and audits it; what it brought in stays.
func (db *DB) RemoveFeed(ctx context.Context, actor forewarn.Actor, id string) error {
	if err := actor.Validate(); err != nil {
		return err
	}
	return db.update(ctx, db.now(), "remove feed", func(tx *tx) error {
		old, err := tx.feed(ctx, id)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "UPDATE feeds SET removed_at = ? WHERE id = ?", FormatTime(tx.now), id); err != nil {
			return fmt.Errorf("remove feed: %w", err)
		}
		return tx.audit(ctx, actor, "feed.remove", "feed", id, old, nil, fmt.Sprintf("%s collection %s", old.URL, old.Collection))
	})
}

// RecordFeedPoll saves a poll's outcome and the objects kept raw, audited.
func (db *DB) RecordFeedPoll(ctx context.Context, actor forewarn.Actor, f *forewarn.Feed, raw []*forewarn.FeedObject) error {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return err
	}
	if f == nil || f.ID == "" {
		return required("feed")
	}
	if err := checkText("last_error", f.LastError, 10000); err != nil {
		return err
	}
	for i, o := range raw {
		if o == nil || o.ID == "" || !json.Valid(o.Object) {
			return forewarn.Invalid(fmt.Sprintf("raw[%d]", i), "object", "a raw object needs its ID and its JSON")
		}
	}
	return db.update(ctx, now, "record feed poll", func(tx *tx) error {
		old, err := tx.feed(ctx, f.ID)
		if err != nil {
			return err
		}
		v := *old
		v.Cursor, v.LastPoll, v.LastSuccess, v.NextPoll = f.Cursor, f.LastPoll, f.LastSuccess, f.NextPoll
		v.Failures, v.LastError, v.Objects, v.Persons, v.Raw = f.Failures, f.LastError, f.Objects, f.Persons, f.Raw
		data, err := json.Marshal(&v)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, "UPDATE feeds SET data = ? WHERE id = ?", string(data), v.ID); err != nil {
			return fmt.Errorf("update feed: %w", err)
		}
		kept := 0
		for _, o := range raw {
			var n int
			if err := tx.queryRow(ctx, "SELECT COUNT(*) FROM feed_objects WHERE feed_id = ? AND id = ? AND version = ?", v.ID, o.ID, o.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				continue
			}
			if _, err := tx.exec(ctx, "INSERT INTO feed_objects (feed_id, id, version, type, reason, object, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
				v.ID, o.ID, o.Version, o.Type, forewarn.AuditText(o.Reason, 1000), string(o.Object), FormatTime(now)); err != nil {
				return fmt.Errorf("keep raw object %s: %w", o.ID, err)
			}
			kept++
		}
		action, detail := "feed.poll", fmt.Sprintf("cursor %s; %d objects, %d persons, %d kept raw in all; %d kept raw now", v.Cursor, v.Objects, v.Persons, v.Raw, kept)
		if v.Failures > 0 {
			action, detail = "feed.poll_failed", fmt.Sprintf("failure %d in a row: %s", v.Failures, v.LastError)
			if old.Failures > 0 && old.LastError == v.LastError {
				// A feed down for a day is one entry per change of state, not one per poll.
				action = ""
			}
		} else if old.Cursor == v.Cursor && kept == 0 && old.Failures == 0 && old.Objects == v.Objects {
			action = "" // nothing new: polls that bring nothing are not audited
		}
		*f = v
		if action == "" {
			return nil
		}
		return tx.audit(ctx, actor, action, "feed", v.ID, nil, nil, forewarn.AuditText(detail, 1000))
	})
}

// FeedObjects returns what a feed brought in that was kept raw, oldest first.
func (db *DB) FeedObjects(ctx context.Context, feedID string) ([]*forewarn.FeedObject, error) {
	var objs []*forewarn.FeedObject
	err := db.view(ctx, "read feed objects", func(tx *tx) error {
		rows, err := tx.query(ctx, "SELECT id, version, type, reason, object, received_at FROM feed_objects WHERE feed_id = ? ORDER BY received_at, id", feedID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			o := forewarn.FeedObject{FeedID: feedID}
			var obj, at string
			if err := rows.Scan(&o.ID, &o.Version, &o.Type, &o.Reason, &obj, &at); err != nil {
				return err
			}
			o.Object = json.RawMessage(obj)
			if o.ReceivedAt, err = ParseTime(at); err != nil {
				return err
			}
			objs = append(objs, &o)
		}
		return rows.Err()
	})
	return objs, err
}

// newUUID4 returns a random UUID, the form TAXII gives collection and status IDs.
func newUUID4() string {
	var u [16]byte
	rand.Read(u[:])
	u[6], u[8] = 0x40|u[6]&0x0f, 0x80|u[8]&0x3f
	return forewarn.FormatUUID(u)
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

func isUUID(s string) bool { return uuidRE.MatchString(s) }

// AcknowledgeLocally records this node's acknowledgement ack of a message it received
// from a feed on that message's delivery, closing the alert closes answers when set, and
// audits it, all in one transaction: a feed awaits no answer, so nothing is sent.
func (db *DB) AcknowledgeLocally(ctx context.Context, actor forewarn.Actor, ack *forewarn.Message, closes string) error {
	now := db.now()
	if err := actor.Validate(); err != nil {
		return err
	}
	if ack == nil || ack.Ack == nil || ack.Kind != forewarn.KindAcknowledgement || ack.InReplyTo == "" {
		return forewarn.Invalid("ack", "required", "a local acknowledgement needs the message it acknowledges and its stage")
	}
	return db.update(ctx, now, "acknowledge locally", func(tx *tx) error {
		d, err := tx.delivery(ctx, "message_id = ? AND direction = 'in'", ack.InReplyTo)
		if err != nil {
			return err
		}
		if err := tx.recordAck(ctx, actor, d, ack, actor.ID, true); err != nil {
			return err
		}
		if closes != "" {
			return tx.answerAlert(ctx, actor, closes, ack, ack.InReplyTo)
		}
		return nil
	})
}
