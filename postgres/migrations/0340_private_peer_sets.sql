-- Private matching (issue 17, docs/private-match.md): the set of each peer this node asked
-- privately, kept for the day so that it is not sent again with every query. One row a
-- peer, replaced when the peer names another version (a new day's secret, or its holdings
-- changed). fingerprints is psi.Set.Encode: 8 bytes a key the peer holds.
CREATE TABLE private_peer_sets (
	peer         TEXT PRIMARY KEY,
	epoch        TEXT NOT NULL,
	digest       TEXT NOT NULL,
	fingerprints BYTEA NOT NULL,
	fetched_at   TEXT NOT NULL
);
