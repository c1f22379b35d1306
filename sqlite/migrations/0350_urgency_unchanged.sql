-- The urgency key (migration 0230) is rewritten only when it changes. Its triggers
-- rewrote the whole message row, envelope and all, with its two urgency indexes, on every
-- insert and every change of a delivery, even when the key came out the same; the store
-- now inserts a message with its key already computed, so storing one rewrites nothing.
DROP TRIGGER messages_urgency_insert;
CREATE TRIGGER messages_urgency_insert AFTER INSERT ON messages BEGIN
	UPDATE messages SET urgency =
		CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = messages.id AND d.overdue_since IS NOT NULL AND d.actioned_at IS NULL) THEN '0' ELSE '1' END
		|| COALESCE('0' || (SELECT MIN(d.deadline) FROM deliveries d WHERE d.message_id = messages.id AND d.actioned_at IS NULL), '1')
		|| CASE priority WHEN 'flash' THEN '0' WHEN 'urgent' THEN '1' WHEN 'priority' THEN '2' ELSE '3' END
	WHERE id = NEW.id AND urgency <> (
		CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = messages.id AND d.overdue_since IS NOT NULL AND d.actioned_at IS NULL) THEN '0' ELSE '1' END
			|| COALESCE('0' || (SELECT MIN(d.deadline) FROM deliveries d WHERE d.message_id = messages.id AND d.actioned_at IS NULL), '1')
			|| CASE priority WHEN 'flash' THEN '0' WHEN 'urgent' THEN '1' WHEN 'priority' THEN '2' ELSE '3' END);
END;
DROP TRIGGER messages_urgency_priority;
CREATE TRIGGER messages_urgency_priority AFTER UPDATE OF priority ON messages BEGIN
	UPDATE messages SET urgency =
		CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = messages.id AND d.overdue_since IS NOT NULL AND d.actioned_at IS NULL) THEN '0' ELSE '1' END
		|| COALESCE('0' || (SELECT MIN(d.deadline) FROM deliveries d WHERE d.message_id = messages.id AND d.actioned_at IS NULL), '1')
		|| CASE priority WHEN 'flash' THEN '0' WHEN 'urgent' THEN '1' WHEN 'priority' THEN '2' ELSE '3' END
	WHERE id = NEW.id AND urgency <> (
		CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = messages.id AND d.overdue_since IS NOT NULL AND d.actioned_at IS NULL) THEN '0' ELSE '1' END
			|| COALESCE('0' || (SELECT MIN(d.deadline) FROM deliveries d WHERE d.message_id = messages.id AND d.actioned_at IS NULL), '1')
			|| CASE priority WHEN 'flash' THEN '0' WHEN 'urgent' THEN '1' WHEN 'priority' THEN '2' ELSE '3' END);
END;
DROP TRIGGER deliveries_urgency_insert;
CREATE TRIGGER deliveries_urgency_insert AFTER INSERT ON deliveries BEGIN
	UPDATE messages SET urgency =
		CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = messages.id AND d.overdue_since IS NOT NULL AND d.actioned_at IS NULL) THEN '0' ELSE '1' END
		|| COALESCE('0' || (SELECT MIN(d.deadline) FROM deliveries d WHERE d.message_id = messages.id AND d.actioned_at IS NULL), '1')
		|| CASE priority WHEN 'flash' THEN '0' WHEN 'urgent' THEN '1' WHEN 'priority' THEN '2' ELSE '3' END
	WHERE id = NEW.message_id AND urgency <> (
		CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = messages.id AND d.overdue_since IS NOT NULL AND d.actioned_at IS NULL) THEN '0' ELSE '1' END
			|| COALESCE('0' || (SELECT MIN(d.deadline) FROM deliveries d WHERE d.message_id = messages.id AND d.actioned_at IS NULL), '1')
			|| CASE priority WHEN 'flash' THEN '0' WHEN 'urgent' THEN '1' WHEN 'priority' THEN '2' ELSE '3' END);
END;
DROP TRIGGER deliveries_urgency_update;
CREATE TRIGGER deliveries_urgency_update AFTER UPDATE OF message_id, actioned_at, overdue_since, deadline ON deliveries BEGIN
	UPDATE messages SET urgency =
		CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = messages.id AND d.overdue_since IS NOT NULL AND d.actioned_at IS NULL) THEN '0' ELSE '1' END
		|| COALESCE('0' || (SELECT MIN(d.deadline) FROM deliveries d WHERE d.message_id = messages.id AND d.actioned_at IS NULL), '1')
		|| CASE priority WHEN 'flash' THEN '0' WHEN 'urgent' THEN '1' WHEN 'priority' THEN '2' ELSE '3' END
	WHERE id IN (OLD.message_id, NEW.message_id) AND urgency <> (
		CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = messages.id AND d.overdue_since IS NOT NULL AND d.actioned_at IS NULL) THEN '0' ELSE '1' END
			|| COALESCE('0' || (SELECT MIN(d.deadline) FROM deliveries d WHERE d.message_id = messages.id AND d.actioned_at IS NULL), '1')
			|| CASE priority WHEN 'flash' THEN '0' WHEN 'urgent' THEN '1' WHEN 'priority' THEN '2' ELSE '3' END);
END;
DROP TRIGGER deliveries_urgency_delete;
CREATE TRIGGER deliveries_urgency_delete AFTER DELETE ON deliveries BEGIN
	UPDATE messages SET urgency =
		CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = messages.id AND d.overdue_since IS NOT NULL AND d.actioned_at IS NULL) THEN '0' ELSE '1' END
		|| COALESCE('0' || (SELECT MIN(d.deadline) FROM deliveries d WHERE d.message_id = messages.id AND d.actioned_at IS NULL), '1')
		|| CASE priority WHEN 'flash' THEN '0' WHEN 'urgent' THEN '1' WHEN 'priority' THEN '2' ELSE '3' END
	WHERE id = OLD.message_id AND urgency <> (
		CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = messages.id AND d.overdue_since IS NOT NULL AND d.actioned_at IS NULL) THEN '0' ELSE '1' END
			|| COALESCE('0' || (SELECT MIN(d.deadline) FROM deliveries d WHERE d.message_id = messages.id AND d.actioned_at IS NULL), '1')
			|| CASE priority WHEN 'flash' THEN '0' WHEN 'urgent' THEN '1' WHEN 'priority' THEN '2' ELSE '3' END);
END;
