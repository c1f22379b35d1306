-- Alerts can be resolved: a person at the desk the alert was for says it has been dealt
-- with. The alert stays, with who resolved it and when; only open alerts are listed.
ALTER TABLE alerts ADD COLUMN resolved_at TEXT;
ALTER TABLE alerts ADD COLUMN resolved_by TEXT NOT NULL DEFAULT '';
CREATE INDEX alerts_open ON alerts (role, created_at) WHERE resolved_at IS NULL;
