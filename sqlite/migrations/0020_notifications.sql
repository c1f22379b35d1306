-- Notifications leave the node: users' e-mail addresses and the notification types they
-- turned off, administrator-managed webhooks, and the outbox. A notification row is
-- written in the same transaction as the event that causes it (an arrival, an escalation,
-- the daily digest) and a worker sends it; its id is the e-mail's Message-ID and the
-- webhook's idempotency key. dedupe stops one event being queued twice for one address.
CREATE TABLE notification_settings (
	username TEXT PRIMARY KEY,
	email    TEXT NOT NULL,
	off      TEXT NOT NULL -- comma list of notification types turned off
) STRICT;

CREATE TABLE webhooks (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	url        TEXT NOT NULL,
	secret     TEXT NOT NULL,
	types      TEXT NOT NULL, -- comma list; '' means every type
	disabled   INTEGER NOT NULL CHECK (disabled IN (0, 1)),
	created_at TEXT NOT NULL
) STRICT;

CREATE TABLE notifications (
	id           TEXT PRIMARY KEY,
	type         TEXT NOT NULL,
	channel      TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
	target       TEXT NOT NULL,
	address      TEXT NOT NULL,
	message_id   TEXT NOT NULL,
	dedupe       TEXT NOT NULL UNIQUE,
	event        TEXT NOT NULL, -- the forewarn.NotificationEvent as JSON
	created_at   TEXT NOT NULL,
	attempts     INTEGER NOT NULL,
	next_attempt TEXT, -- NULL once sent or dead
	last_error   TEXT NOT NULL,
	sent_at      TEXT,
	dead_at      TEXT
) STRICT;
CREATE INDEX notifications_due ON notifications (next_attempt) WHERE next_attempt IS NOT NULL;
CREATE INDEX notifications_created ON notifications (created_at);
CREATE INDEX notifications_dead ON notifications (dead_at) WHERE dead_at IS NOT NULL;
