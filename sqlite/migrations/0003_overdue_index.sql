-- The overdue board and the unactioned filter select the few messages with an open,
-- overdue (or deadline-bearing) delivery; these partial indexes hold only those rows, so
-- the board costs what it shows, not what the node has ever received.
CREATE INDEX deliveries_overdue_open ON deliveries (message_id) WHERE overdue_since IS NOT NULL AND actioned_at IS NULL;
CREATE INDEX deliveries_deadline_open ON deliveries (message_id) WHERE deadline IS NOT NULL AND actioned_at IS NULL;
