-- The inbox and the overdue board list the most urgent first: overdue, then the earliest
-- open deadline (none last), then the effective priority, then the newest. Computed at
-- read time that order needed subqueries over every message (375 ms for 100,000), so the
-- key is kept on the message, and one index range with a LIMIT reads a page.
--
-- urgency is text that sorts in that order: '0' when a delivery is overdue and not
-- actioned, else '1'; then '0' and the earliest deadline of the deliveries not actioned
-- (fixed-width UTC text), or '1' when none; then the priority's rank (flash 0 … routine 3).
-- Triggers keep it true in the writing transaction, whoever writes: a delivery stored,
-- acknowledged, escalated or removed, a message stored or its priority changed.
ALTER TABLE messages ADD COLUMN urgency TEXT NOT NULL DEFAULT '113';

UPDATE messages SET urgency =
	CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = messages.id AND d.overdue_since IS NOT NULL AND d.actioned_at IS NULL) THEN '0' ELSE '1' END
	|| COALESCE('0' || (SELECT MIN(d.deadline) FROM deliveries d WHERE d.message_id = messages.id AND d.actioned_at IS NULL), '1')
	|| CASE priority WHEN 'flash' THEN '0' WHEN 'urgent' THEN '1' WHEN 'priority' THEN '2' ELSE '3' END;

CREATE INDEX messages_direction_urgency ON messages (direction, urgency, created DESC, id DESC);
CREATE INDEX messages_urgency ON messages (urgency, created DESC, id DESC);

CREATE TRIGGER messages_urgency_insert AFTER INSERT ON messages BEGIN
	UPDATE messages SET urgency =
		CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = messages.id AND d.overdue_since IS NOT NULL AND d.actioned_at IS NULL) THEN '0' ELSE '1' END
		|| COALESCE('0' || (SELECT MIN(d.deadline) FROM deliveries d WHERE d.message_id = messages.id AND d.actioned_at IS NULL), '1')
		|| CASE priority WHEN 'flash' THEN '0' WHEN 'urgent' THEN '1' WHEN 'priority' THEN '2' ELSE '3' END
	WHERE id = NEW.id;
END;
CREATE TRIGGER messages_urgency_priority AFTER UPDATE OF priority ON messages BEGIN
	UPDATE messages SET urgency =
		CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = messages.id AND d.overdue_since IS NOT NULL AND d.actioned_at IS NULL) THEN '0' ELSE '1' END
		|| COALESCE('0' || (SELECT MIN(d.deadline) FROM deliveries d WHERE d.message_id = messages.id AND d.actioned_at IS NULL), '1')
		|| CASE priority WHEN 'flash' THEN '0' WHEN 'urgent' THEN '1' WHEN 'priority' THEN '2' ELSE '3' END
	WHERE id = NEW.id;
END;
CREATE TRIGGER deliveries_urgency_insert AFTER INSERT ON deliveries BEGIN
	UPDATE messages SET urgency =
		CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = messages.id AND d.overdue_since IS NOT NULL AND d.actioned_at IS NULL) THEN '0' ELSE '1' END
		|| COALESCE('0' || (SELECT MIN(d.deadline) FROM deliveries d WHERE d.message_id = messages.id AND d.actioned_at IS NULL), '1')
		|| CASE priority WHEN 'flash' THEN '0' WHEN 'urgent' THEN '1' WHEN 'priority' THEN '2' ELSE '3' END
	WHERE id = NEW.message_id;
END;
CREATE TRIGGER deliveries_urgency_update AFTER UPDATE OF message_id, actioned_at, overdue_since, deadline ON deliveries BEGIN
	UPDATE messages SET urgency =
		CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = messages.id AND d.overdue_since IS NOT NULL AND d.actioned_at IS NULL) THEN '0' ELSE '1' END
		|| COALESCE('0' || (SELECT MIN(d.deadline) FROM deliveries d WHERE d.message_id = messages.id AND d.actioned_at IS NULL), '1')
		|| CASE priority WHEN 'flash' THEN '0' WHEN 'urgent' THEN '1' WHEN 'priority' THEN '2' ELSE '3' END
	WHERE id IN (OLD.message_id, NEW.message_id);
END;
CREATE TRIGGER deliveries_urgency_delete AFTER DELETE ON deliveries BEGIN
	UPDATE messages SET urgency =
		CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = messages.id AND d.overdue_since IS NOT NULL AND d.actioned_at IS NULL) THEN '0' ELSE '1' END
		|| COALESCE('0' || (SELECT MIN(d.deadline) FROM deliveries d WHERE d.message_id = messages.id AND d.actioned_at IS NULL), '1')
		|| CASE priority WHEN 'flash' THEN '0' WHEN 'urgent' THEN '1' WHEN 'priority' THEN '2' ELSE '3' END
	WHERE id = OLD.message_id;
END;
