-- Two or more servers on one store share the delivery and notification outboxes: a server
-- claims what it is about to send by moving its next attempt to when the claim lapses, and
-- writes its own name beside it. The name (host and listen address) lets a server that
-- restarts after a crash take back at once what it had claimed: no other process can hold
-- its address while it does. A claim is cleared when its attempt is recorded.
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
CREATE INDEX deliveries_claimed ON deliveries (claimed_by) WHERE claimed_by <> '';
CREATE INDEX notifications_claimed ON notifications (claimed_by) WHERE claimed_by <> '';
