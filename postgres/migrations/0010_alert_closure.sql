-- An alert is closed by acknowledging its message, or by a person recording why not: the
-- acknowledgement that closed it, or the reason given. An escalation names the recipient
-- whose answer is missing, so an acknowledgement from one recipient closes only its own.
ALTER TABLE alerts ADD COLUMN agency TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN closed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE alerts ADD COLUMN resolution TEXT NOT NULL DEFAULT '';
CREATE INDEX alerts_message_open ON alerts (message_id) WHERE resolved_at IS NULL;
-- When an acknowledgement arrived here: the time it claims is the recipient's to choose,
-- so whether it came in time is judged by this one.
ALTER TABLE deliveries ADD COLUMN ack_arrived_at TEXT;
