-- A delivery inserted recomputed its message's urgency key from all the message's
-- deliveries (an UPDATE of the message, reading its overdue and open deliveries twice),
-- for every message stored, sent or received, to find it already right: a message is
-- inserted with the key its deliveries give it (migration 0350), and they are inserted
-- with it, in the same transaction. Now the insert trigger runs only when the new
-- delivery can change the key: when it is not actioned and either overdue while the key
-- says none is, or has a deadline before the one the key holds, or one where the key
-- holds none. Otherwise the key stands: an actioned delivery counts for nothing in it,
-- one not overdue leaves its first character, and a deadline at or after the key's
-- leaves the earliest one as it is. The triggers on update and delete are unchanged.
DROP TRIGGER deliveries_urgency_insert;
CREATE TRIGGER deliveries_urgency_insert AFTER INSERT ON deliveries
WHEN NEW.actioned_at IS NULL AND (
	NEW.overdue_since IS NOT NULL AND NOT COALESCE((SELECT substr(urgency, 1, 1) = '0' FROM messages WHERE id = NEW.message_id), 0)
	OR NEW.deadline IS NOT NULL AND NOT COALESCE((SELECT substr(urgency, 2, 1) = '0' AND substr(urgency, 3, length(urgency) - 3) <= NEW.deadline FROM messages WHERE id = NEW.message_id), 0))
BEGIN
	UPDATE messages SET urgency =
		CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = messages.id AND d.overdue_since IS NOT NULL AND d.actioned_at IS NULL) THEN '0' ELSE '1' END
		|| COALESCE('0' || (SELECT MIN(d.deadline) FROM deliveries d WHERE d.message_id = messages.id AND d.actioned_at IS NULL), '1')
		|| CASE priority WHEN 'flash' THEN '0' WHEN 'urgent' THEN '1' WHEN 'priority' THEN '2' ELSE '3' END
	WHERE id = NEW.message_id AND urgency <> (
		CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = messages.id AND d.overdue_since IS NOT NULL AND d.actioned_at IS NULL) THEN '0' ELSE '1' END
			|| COALESCE('0' || (SELECT MIN(d.deadline) FROM deliveries d WHERE d.message_id = messages.id AND d.actioned_at IS NULL), '1')
			|| CASE priority WHEN 'flash' THEN '0' WHEN 'urgent' THEN '1' WHEN 'priority' THEN '2' ELSE '3' END);
END;
