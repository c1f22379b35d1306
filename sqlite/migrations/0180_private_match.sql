-- Private matching (issue 17, docs/private-match.md): both sides keep a record of every
-- private query. A holder refuses a query ID or a set of blinded elements it answered
-- before (a replay), and counts the persons each peer asked about per day against its
-- limit.
CREATE TABLE private_queries (
	direction   TEXT NOT NULL, -- 'out' asked by this node, 'in' asked of it
	peer        TEXT NOT NULL,
	id          TEXT NOT NULL,
	persons     INTEGER NOT NULL,
	digest      TEXT NOT NULL,
	epoch       TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	asked_by    TEXT NOT NULL,
	results     TEXT NOT NULL, -- JSON: forewarn.PrivateResult
	reported_at TEXT,
	PRIMARY KEY (direction, peer, id)
) STRICT;
CREATE UNIQUE INDEX private_queries_digest ON private_queries (direction, digest);
CREATE INDEX private_queries_peer_created ON private_queries (direction, peer, created_at);
CREATE INDEX private_queries_created ON private_queries (direction, created_at);

-- How many persons a peer may ask about privately in one day (UTC); a peer without a row
-- has forewarn.DefaultPrivateLimit.
CREATE TABLE private_limits (
	peer            TEXT PRIMARY KEY,
	persons_per_day INTEGER NOT NULL,
	updated_at      TEXT NOT NULL
) STRICT;
