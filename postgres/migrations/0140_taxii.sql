-- TAXII 2.1: the collections this node serves, the STIX object versions in them, the
-- tokens partners read them with and the statuses of what was posted; and the partners'
-- collections this node polls (feeds), with what they brought that it could not map.
CREATE TABLE taxii_collections (
	id         TEXT PRIMARY KEY,
	data       TEXT NOT NULL, -- the whole forewarn.TAXIICollection as JSON
	created_at TEXT NOT NULL
);

CREATE TABLE taxii_objects (
	seq           BIGSERIAL PRIMARY KEY,
	collection_id TEXT NOT NULL REFERENCES taxii_collections (id),
	id            TEXT NOT NULL,
	type          TEXT NOT NULL,
	version       TEXT NOT NULL,
	spec_version  TEXT NOT NULL,
	date_added    TEXT NOT NULL,
	marks         TEXT NOT NULL, -- forewarn.HandlingMarks as JSON
	subject_id    TEXT NOT NULL, -- '' unless it publishes one of the node's subjects
	object        TEXT NOT NULL, -- the STIX object as it was written, byte for byte
	UNIQUE (collection_id, id, version)
);
CREATE INDEX taxii_objects_added ON taxii_objects (collection_id, date_added, seq);

CREATE TABLE taxii_status (
	id            TEXT PRIMARY KEY,
	collection_id TEXT NOT NULL,
	data          TEXT NOT NULL,
	created_at    TEXT NOT NULL
);

CREATE TABLE taxii_tokens (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	hash       TEXT NOT NULL UNIQUE, -- hex SHA-256 of the secret
	data       TEXT NOT NULL,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL
);

CREATE TABLE feeds (
	id         TEXT PRIMARY KEY,
	url        TEXT NOT NULL,
	collection TEXT NOT NULL,
	secret     TEXT NOT NULL, -- the password or token the node polls with
	data       TEXT NOT NULL, -- the whole forewarn.Feed as JSON, its health included
	created_at TEXT NOT NULL,
	removed_at TEXT NOT NULL  -- '' while it is polled
);

CREATE TABLE feed_objects (
	feed_id     TEXT NOT NULL REFERENCES feeds (id),
	id          TEXT NOT NULL,
	version     TEXT NOT NULL,
	type        TEXT NOT NULL,
	reason      TEXT NOT NULL,
	object      TEXT NOT NULL,
	received_at TEXT NOT NULL,
	PRIMARY KEY (feed_id, id, version)
);
