-- Witnessing: each node sends its signed audit chain head to its peers, which countersign
-- and keep it, so a rewrite behind a witnessed head is evident even to whoever holds the
-- node's key. A peer keeps one head per (agency, seq); a second, different one for the
-- same entry is kept as evidence and refused.

-- Heads of peers' chains this node countersigned, as it countersigned them.
CREATE TABLE witnessed_heads (
	agency      TEXT NOT NULL,
	seq         BIGINT NOT NULL,
	hash        TEXT NOT NULL,
	document    BYTEA NOT NULL,
	received_at TEXT NOT NULL,
	PRIMARY KEY (agency, seq)
);

-- A peer stating two different hashes for one entry of its chain: the second statement,
-- signed by the peer, is the evidence.
CREATE TABLE witness_conflicts (
	id          TEXT PRIMARY KEY,
	agency      TEXT NOT NULL,
	seq         BIGINT NOT NULL,
	kept_hash   TEXT NOT NULL,
	offered     BYTEA NOT NULL,
	received_at TEXT NOT NULL
);
CREATE INDEX witness_conflicts_agency ON witness_conflicts (agency, seq);

-- This node's own heads as its peers countersigned them.
CREATE TABLE head_witnesses (
	seq         BIGINT NOT NULL,
	witness     TEXT NOT NULL,
	document    BYTEA NOT NULL,
	received_at TEXT NOT NULL,
	PRIMARY KEY (witness, seq)
);
