-- Erasure notices (issue 12): the notice an originator is owed when persons are erased
-- from a message it sent and its agreement asks to be told. Written in the erasure's
-- transaction; settled once, by the message that tells it (written with it and delivered
-- by the outbox until receipted) or by a refusal, so a partner down at the time still
-- learns of it.
CREATE TABLE erasure_notices (
	id         TEXT PRIMARY KEY,
	message_id TEXT NOT NULL, -- the received message, by this node's ID
	originator TEXT NOT NULL,
	erased_at  TEXT NOT NULL,
	notice_id  TEXT NOT NULL, -- the message sent; '' while pending
	refused    TEXT NOT NULL, -- why it could not go; '' unless refused
	data       TEXT NOT NULL  -- the whole forewarn.ErasureNotice as JSON
) STRICT;
CREATE INDEX erasure_notices_pending ON erasure_notices (erased_at) WHERE notice_id = '' AND refused = '';
