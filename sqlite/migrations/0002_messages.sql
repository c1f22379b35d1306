-- Peers, messages with their deliveries, escalations and alerts, matches and the pairs an
-- analyst rejected, API tokens and sessions; claims learn where they came from and which
-- one an analyst prefers. Times are TEXT in sqlstore.TimeLayout; a NULL time means "not
-- yet" (not delivered, not read, no escalation due).

ALTER TABLE claims ADD COLUMN message_id TEXT NOT NULL DEFAULT '';
ALTER TABLE claims ADD COLUMN preferred INTEGER NOT NULL DEFAULT 0 CHECK (preferred IN (0, 1));
ALTER TABLE claims ADD COLUMN preferred_reason TEXT NOT NULL DEFAULT '';

CREATE TABLE peers (
	agency_code    TEXT PRIMARY KEY,
	agency_name    TEXT NOT NULL,
	agency_country TEXT NOT NULL,
	base_url       TEXT NOT NULL,
	public_key     TEXT NOT NULL, -- hex ed25519 public key, pinned
	added_at       TEXT NOT NULL
) STRICT;

CREATE TABLE messages (
	id           TEXT PRIMARY KEY,
	direction    TEXT NOT NULL CHECK (direction IN ('in', 'out')),
	from_agency  TEXT NOT NULL,
	kind         TEXT NOT NULL,
	in_reply_to  TEXT NOT NULL, -- '' when none
	thread_root  TEXT NOT NULL, -- the first message of the thread; its own id for a root
	created      TEXT NOT NULL,
	stored_at    TEXT NOT NULL,
	priority     TEXT NOT NULL, -- effective priority
	holds_person INTEGER NOT NULL CHECK (holds_person IN (0, 1)),
	envelope     BLOB NOT NULL, -- the signed bytes exactly as sent or received
	message      TEXT NOT NULL  -- the forewarn.Message as JSON, to read without re-parsing
) STRICT;
CREATE INDEX messages_direction_created ON messages (direction, created);
CREATE INDEX messages_created ON messages (created);
CREATE INDEX messages_thread ON messages (thread_root);

-- Each recipient of a message, so "sent to or received from a peer" is a plain join.
CREATE TABLE message_recipients (
	message_id TEXT NOT NULL REFERENCES messages (id),
	agency     TEXT NOT NULL,
	PRIMARY KEY (message_id, agency)
) STRICT;
CREATE INDEX message_recipients_agency ON message_recipients (agency);

CREATE TABLE deliveries (
	message_id      TEXT NOT NULL REFERENCES messages (id),
	agency          TEXT NOT NULL,
	direction       TEXT NOT NULL CHECK (direction IN ('in', 'out')),
	attempts        INTEGER NOT NULL,
	next_attempt    TEXT, -- NULL once delivered
	last_error      TEXT NOT NULL,
	delivered_at    TEXT,
	receipt         BLOB,
	read_at         TEXT,
	read_by         TEXT NOT NULL,
	actioned_at     TEXT,
	actioned_by     TEXT NOT NULL,
	outcome         TEXT NOT NULL,
	reason          TEXT NOT NULL,
	deadline        TEXT,
	escalation_step INTEGER NOT NULL,
	overdue_since   TEXT,
	next_escalation TEXT, -- NULL when no step is left or the message is actioned
	PRIMARY KEY (message_id, agency)
) STRICT;
CREATE INDEX deliveries_due ON deliveries (next_attempt) WHERE delivered_at IS NULL;
CREATE INDEX deliveries_open ON deliveries (next_escalation) WHERE actioned_at IS NULL;

CREATE TABLE escalations (
	id         TEXT PRIMARY KEY,
	message_id TEXT NOT NULL REFERENCES messages (id),
	agency     TEXT NOT NULL,
	side       TEXT NOT NULL CHECK (side IN ('recipient', 'sender')),
	step       INTEGER NOT NULL,
	notify     TEXT NOT NULL,
	text       TEXT NOT NULL,
	fired_at   TEXT NOT NULL
) STRICT;
CREATE INDEX escalations_message ON escalations (message_id, fired_at);

CREATE TABLE alerts (
	id         TEXT PRIMARY KEY,
	role       TEXT NOT NULL,
	kind       TEXT NOT NULL,
	message_id TEXT NOT NULL, -- '' when none
	subject_id TEXT NOT NULL, -- '' when none
	text       TEXT NOT NULL,
	created_at TEXT NOT NULL
) STRICT;
CREATE INDEX alerts_role_created ON alerts (role, created_at);

CREATE TABLE matches (
	id                 TEXT PRIMARY KEY,
	message_id         TEXT NOT NULL REFERENCES messages (id),
	person_ref         TEXT NOT NULL,
	fingerprint        TEXT NOT NULL,
	subject_id         TEXT NOT NULL, -- '' when the match is with an earlier message
	earlier_message_id TEXT NOT NULL,
	earlier_person_ref TEXT NOT NULL,
	score              REAL NOT NULL,
	summary            TEXT NOT NULL,
	explanation        TEXT NOT NULL, -- the matcher's JSON, byte for byte
	status             TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'rejected')),
	decided_by         TEXT NOT NULL,
	decided_at         TEXT,
	reason             TEXT NOT NULL,
	created_at         TEXT NOT NULL
) STRICT;
CREATE INDEX matches_created ON matches (created_at);
CREATE INDEX matches_subject ON matches (subject_id, created_at);
CREATE INDEX matches_message ON matches (message_id);

-- A subject and a description an analyst said are not the same person.
CREATE TABLE rejected_pairs (
	subject_id  TEXT NOT NULL,
	fingerprint TEXT NOT NULL,
	match_id    TEXT NOT NULL,
	rejected_at TEXT NOT NULL,
	PRIMARY KEY (subject_id, fingerprint)
) STRICT;

-- API tokens name their user by username without a foreign key, so a user can still be
-- renamed; a renamed user's tokens stop resolving.
CREATE TABLE api_tokens (
	id         TEXT PRIMARY KEY,
	username   TEXT NOT NULL,
	role       TEXT NOT NULL,
	name       TEXT NOT NULL,
	hash       TEXT NOT NULL UNIQUE, -- hex SHA-256 of the secret
	created_at TEXT NOT NULL,
	revoked_at TEXT
) STRICT;
CREATE INDEX api_tokens_username ON api_tokens (username, created_at);

CREATE TABLE sessions (
	hash       TEXT PRIMARY KEY, -- hex SHA-256 of the cookie value
	username   TEXT NOT NULL,
	csrf       TEXT NOT NULL,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL
) STRICT;
CREATE INDEX sessions_expires ON sessions (expires_at);
