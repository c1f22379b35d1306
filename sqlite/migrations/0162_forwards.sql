-- Requests to pass a received message on to a third agency (forewarn.Forward), kept whole
-- as JSON beside the columns they are found by. Each is written in the transaction of the
-- message it causes: the consent request, the forwarded message, the override notice.
CREATE TABLE forwards (
	id          TEXT PRIMARY KEY,
	message_id  TEXT NOT NULL,
	status      TEXT NOT NULL,
	data        TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	updated_at  TEXT NOT NULL
);
CREATE INDEX forwards_status ON forwards (status, created_at);
CREATE INDEX forwards_message ON forwards (message_id);
