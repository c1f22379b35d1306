-- Failed sign-ins (issue 14): counted in the store rather than in each server's memory,
-- so that two servers of one node on one database hold one lockout between them. Each
-- attempt is recorded under several keys (the user and address together, the address,
-- the user) with one reservation ID, taken back when its password proves right. Rows
-- older than the window are deleted as attempts come.
CREATE TABLE login_failures (
	reservation TEXT NOT NULL,
	limit_key   TEXT NOT NULL,
	at          TEXT NOT NULL,
	PRIMARY KEY (reservation, limit_key)
);
CREATE INDEX login_failures_key_at ON login_failures (limit_key, at);
CREATE INDEX login_failures_at ON login_failures (at);

-- The one row a sign-in attempt locks while it counts and records, so two servers'
-- attempts are decided one after another.
CREATE TABLE login_guard (id INTEGER PRIMARY KEY);
INSERT INTO login_guard (id) VALUES (1);
