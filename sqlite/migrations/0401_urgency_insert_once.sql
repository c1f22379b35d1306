-- A message is stored with the urgency key its deliveries give it (migration 0350), but
-- it is inserted before them (they refer to it), so its insert trigger found no delivery,
-- rewrote the key without the deadline, and the first delivery's trigger wrote the
-- deadline back: every warning and request, sent or received, was rewritten twice, whole
-- (envelope and all, each old copy zeroed by secure_delete) with its two urgency indexes.
-- Now the insert trigger leaves a key alone that only its deliveries can prove: not
-- overdue (no delivery is yet), the message's priority rank last, and either no deadline
-- or a deadline to come with the deliveries, whose triggers recompute the key from all of
-- them as each is written. A message is always stored with its deliveries, in one
-- transaction. Any other key, or a message whose deliveries are already there, is
-- recomputed as before.
DROP TRIGGER messages_urgency_insert;
CREATE TRIGGER messages_urgency_insert AFTER INSERT ON messages
WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = NEW.id)
	OR substr(NEW.urgency, -1) <> CASE NEW.priority WHEN 'flash' THEN '0' WHEN 'urgent' THEN '1' WHEN 'priority' THEN '2' ELSE '3' END
	OR NOT (NEW.urgency = '11' || substr(NEW.urgency, -1) OR (substr(NEW.urgency, 1, 2) = '10' AND length(NEW.urgency) > 3))
BEGIN
	UPDATE messages SET urgency =
		CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = messages.id AND d.overdue_since IS NOT NULL AND d.actioned_at IS NULL) THEN '0' ELSE '1' END
		|| COALESCE('0' || (SELECT MIN(d.deadline) FROM deliveries d WHERE d.message_id = messages.id AND d.actioned_at IS NULL), '1')
		|| CASE priority WHEN 'flash' THEN '0' WHEN 'urgent' THEN '1' WHEN 'priority' THEN '2' ELSE '3' END
	WHERE id = NEW.id AND urgency <> (
		CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = messages.id AND d.overdue_since IS NOT NULL AND d.actioned_at IS NULL) THEN '0' ELSE '1' END
			|| COALESCE('0' || (SELECT MIN(d.deadline) FROM deliveries d WHERE d.message_id = messages.id AND d.actioned_at IS NULL), '1')
			|| CASE priority WHEN 'flash' THEN '0' WHEN 'urgent' THEN '1' WHEN 'priority' THEN '2' ELSE '3' END);
END;
