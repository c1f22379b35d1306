-- Retention and review (issue 12): the node's policy, each subject's and received
-- message's review date, the tombstones erasure leaves, and the notes of audit entries.

-- How many days after it was stored an item is due for review, per kind and class (a
-- subject's watch-list status, a message's priority).
CREATE TABLE retention_rules (
	kind       TEXT NOT NULL CHECK (kind IN ('subject', 'message')),
	class      TEXT NOT NULL,
	days       INTEGER NOT NULL CHECK (days > 0),
	updated_at TEXT NOT NULL,
	PRIMARY KEY (kind, class)
);
INSERT INTO retention_rules (kind, class, days, updated_at) VALUES
	('subject', 'watchlisted', 365, ''), ('subject', 'none', 180, ''),
	('message', 'flash', 730, ''), ('message', 'urgent', 730, ''),
	('message', 'priority', 365, ''), ('message', 'routine', 180, '');

CREATE TABLE reviews (
	kind       TEXT NOT NULL CHECK (kind IN ('subject', 'message')),
	object_id  TEXT NOT NULL,
	review_at  TEXT NOT NULL,
	reason     TEXT NOT NULL, -- why the date was last set by hand; '' when by the policy
	set_by     TEXT NOT NULL,
	set_at     TEXT NOT NULL,
	alerted_at TEXT,          -- the alert for review_at fired; NULL until then
	PRIMARY KEY (kind, object_id)
);
CREATE INDEX reviews_due ON reviews (review_at) WHERE alerted_at IS NULL;
CREATE INDEX reviews_at ON reviews (review_at);

-- How far AssignReviews has followed the change log.
CREATE TABLE retention_cursor (
	id  INTEGER PRIMARY KEY CHECK (id = 1),
	seq BIGINT NOT NULL
);
INSERT INTO retention_cursor (id, seq) VALUES (1, 0);

CREATE TABLE tombstones (
	kind       TEXT NOT NULL,
	object_id  TEXT NOT NULL,
	erased_at  TEXT NOT NULL,
	erased_by  TEXT NOT NULL,
	data       TEXT NOT NULL, -- the whole forewarn.Tombstone as JSON
	PRIMARY KEY (kind, object_id)
);
CREATE INDEX tombstones_erased ON tombstones (erased_at);

-- Free text of audit entries that may name a person (reasons), kept beside the chain:
-- the entry holds the note's digest, so erasure deletes the note and the chain verifies.
CREATE TABLE audit_notes (
	seq        BIGINT PRIMARY KEY,
	subject_id TEXT NOT NULL, -- the subject the note is about; '' when none
	message_id TEXT NOT NULL, -- the message the note is about; '' when none
	note       TEXT NOT NULL
);
CREATE INDEX audit_notes_subject ON audit_notes (subject_id) WHERE subject_id <> '';
CREATE INDEX audit_notes_message ON audit_notes (message_id) WHERE message_id <> '';
