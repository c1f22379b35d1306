-- Due deliveries go out most urgent first (flash 0, urgent 1, priority 2, routine 3): the
-- rank is kept on the delivery so that one index walk finds them, however long the
-- backlog behind them.
ALTER TABLE deliveries ADD COLUMN urgency INTEGER NOT NULL DEFAULT 3;
UPDATE deliveries SET urgency = CASE (SELECT priority FROM messages WHERE messages.id = deliveries.message_id)
	WHEN 'flash' THEN 0 WHEN 'urgent' THEN 1 WHEN 'priority' THEN 2 ELSE 3 END;
CREATE INDEX deliveries_due_urgent ON deliveries (urgency, next_attempt) WHERE delivered_at IS NULL;
