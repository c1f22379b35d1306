-- The node's checkpoint policy, so that verifying its audit trail needs no flag: the
-- longest run of entries it lets pass without a signed checkpoint, the largest it was
-- ever opened with (verification by a smaller one would raise false alarms).
CREATE TABLE audit_policy (
	id               INTEGER PRIMARY KEY CHECK (id = 1),
	checkpoint_every INTEGER NOT NULL,
	changed_at       TEXT NOT NULL
);
