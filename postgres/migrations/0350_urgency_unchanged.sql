-- The urgency key (migration 0230) is rewritten only when it changes. Its triggers
-- rewrote the whole message row, envelope and all, with its two urgency indexes, on every
-- insert and every change of a delivery, even when the key came out the same; the store
-- now inserts a message with its key already computed, so storing one rewrites nothing.
CREATE OR REPLACE FUNCTION forewarn_message_urgency() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	ids TEXT[];
BEGIN
	IF TG_TABLE_NAME = 'messages' THEN
		ids := ARRAY[NEW.id];
	ELSIF TG_OP = 'INSERT' THEN
		ids := ARRAY[NEW.message_id];
	ELSIF TG_OP = 'DELETE' THEN
		ids := ARRAY[OLD.message_id];
	ELSE
		ids := ARRAY[OLD.message_id, NEW.message_id];
	END IF;
	UPDATE messages SET urgency = k.urgency
	FROM (SELECT m.id,
		CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id AND d.overdue_since IS NOT NULL AND d.actioned_at IS NULL) THEN '0' ELSE '1' END
		|| COALESCE('0' || (SELECT MIN(d.deadline) FROM deliveries d WHERE d.message_id = m.id AND d.actioned_at IS NULL), '1')
		|| CASE m.priority WHEN 'flash' THEN '0' WHEN 'urgent' THEN '1' WHEN 'priority' THEN '2' ELSE '3' END AS urgency
		FROM messages m WHERE m.id = ANY (ids)) k
	WHERE messages.id = k.id AND messages.urgency IS DISTINCT FROM k.urgency;
	RETURN NULL;
END
$$;
