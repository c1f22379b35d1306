-- The node's identity, users, subjects with their claims and associations, and the
-- hash-chained audit trail. Times are TEXT in sqlstore.TimeLayout (fixed-width UTC, so
-- text order is time order); partial dates are TEXT "YYYY", "YYYY-MM" or "YYYY-MM-DD".

CREATE TABLE node (
	id             INTEGER PRIMARY KEY CHECK (id = 1),
	agency_code    TEXT NOT NULL,
	agency_name    TEXT NOT NULL,
	agency_country TEXT NOT NULL,
	public_key     TEXT NOT NULL, -- hex ed25519 public key
	created_at     TEXT NOT NULL
) STRICT;

CREATE TABLE users (
	id                   TEXT PRIMARY KEY,
	username             TEXT NOT NULL UNIQUE,
	display_name         TEXT NOT NULL,
	roles                TEXT NOT NULL, -- comma list: "analyst,admin"
	password_hash        TEXT NOT NULL,
	must_change_password INTEGER NOT NULL CHECK (must_change_password IN (0, 1)),
	disabled             INTEGER NOT NULL CHECK (disabled IN (0, 1)),
	created_at           TEXT NOT NULL
) STRICT;

CREATE TABLE subjects (
	id           TEXT PRIMARY KEY,
	primary_name TEXT NOT NULL,
	watch        TEXT NOT NULL CHECK (watch IN ('none', 'watchlisted')),
	data         TEXT NOT NULL, -- the whole forewarn.Subject as JSON
	created_at   TEXT NOT NULL,
	updated_at   TEXT NOT NULL
) STRICT;
CREATE INDEX subjects_watch_updated ON subjects (watch, updated_at);
CREATE INDEX subjects_updated ON subjects (updated_at);

CREATE TABLE claims (
	id            TEXT PRIMARY KEY,
	subject_id    TEXT NOT NULL REFERENCES subjects (id),
	kind          TEXT NOT NULL,
	value         TEXT NOT NULL,
	valid_from    TEXT NOT NULL,
	valid_to      TEXT NOT NULL,
	recorded_at   TEXT NOT NULL,
	source_agency TEXT NOT NULL,
	source_name   TEXT NOT NULL,
	reliability   TEXT NOT NULL CHECK (reliability IN ('A', 'B', 'C', 'D', 'E', 'F')),
	credibility   INTEGER NOT NULL CHECK (credibility BETWEEN 1 AND 6),
	negative      INTEGER NOT NULL CHECK (negative IN (0, 1)),
	note          TEXT NOT NULL
) STRICT;
CREATE INDEX claims_subject ON claims (subject_id, recorded_at);

CREATE TABLE associations (
	id            TEXT PRIMARY KEY,
	from_id       TEXT NOT NULL REFERENCES subjects (id),
	to_id         TEXT NOT NULL REFERENCES subjects (id),
	kind          TEXT NOT NULL,
	source_agency TEXT NOT NULL,
	source_name   TEXT NOT NULL,
	reliability   TEXT NOT NULL CHECK (reliability IN ('A', 'B', 'C', 'D', 'E', 'F')),
	credibility   INTEGER NOT NULL CHECK (credibility BETWEEN 1 AND 6),
	note          TEXT NOT NULL,
	recorded_at   TEXT NOT NULL
) STRICT;
CREATE INDEX associations_from ON associations (from_id);
CREATE INDEX associations_to ON associations (to_id);

CREATE TABLE audit_entries (
	seq           INTEGER PRIMARY KEY,
	time          TEXT NOT NULL,
	actor_kind    TEXT NOT NULL,
	actor_id      TEXT NOT NULL,
	action        TEXT NOT NULL,
	object_type   TEXT NOT NULL,
	object_id     TEXT NOT NULL,
	before_digest TEXT NOT NULL,
	after_digest  TEXT NOT NULL,
	detail        TEXT NOT NULL,
	prev_hash     TEXT NOT NULL,
	hash          TEXT NOT NULL
) STRICT;
CREATE INDEX audit_entries_object ON audit_entries (object_type, object_id);
CREATE INDEX audit_entries_actor ON audit_entries (actor_id);
CREATE INDEX audit_entries_time ON audit_entries (time);

CREATE TABLE audit_checkpoints (
	seq       INTEGER PRIMARY KEY,
	hash      TEXT NOT NULL,
	time      TEXT NOT NULL,
	agency    TEXT NOT NULL,
	signature TEXT NOT NULL
) STRICT;

-- The chain head: every writing transaction reads it first, which makes it the one
-- writer, and moves it with each entry it appends.
CREATE TABLE audit_head (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	seq  INTEGER NOT NULL,
	hash TEXT NOT NULL
) STRICT;
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
