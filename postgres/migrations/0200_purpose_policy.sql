-- The node's purposes of access (forewarn.PurposePolicy), kept whole as JSON in one row:
-- read whole whenever a person is opened, never searched. No row: the default policy.
CREATE TABLE purpose_policy (
	id         INTEGER PRIMARY KEY CHECK (id = 1),
	data       TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
