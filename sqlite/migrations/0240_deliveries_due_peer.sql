-- Each peer has its own queue: the delivery worker reads the due deliveries of one peer
-- at a time, as many as that peer has free slots, so a round reads what it starts, never
-- the whole backlog, and one peer's backlog never hides another's.
CREATE INDEX deliveries_due_peer ON deliveries (agency, urgency, next_attempt) WHERE delivered_at IS NULL AND direction = 'out';
