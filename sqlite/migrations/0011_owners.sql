-- A received message can be owned by a person: the first to be reminded when it falls
-- due, before the liaison desk and the supervisors. An escalation and its alert can be
-- addressed to that person.
ALTER TABLE deliveries ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN assigned_by TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN assigned_at TEXT;
ALTER TABLE escalations ADD COLUMN username TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN username TEXT NOT NULL DEFAULT '';
CREATE INDEX alerts_user_open ON alerts (username, created_at) WHERE resolved_at IS NULL AND username <> '';
