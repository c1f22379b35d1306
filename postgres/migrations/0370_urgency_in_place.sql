-- The urgency key (migration 0230) without rewriting the message needlessly. There, storing
-- a message updated it right after inserting it, and storing each of its deliveries
-- updated it again: two more versions of the row, each with an entry in every index of
-- messages (the key is indexed, so no update is HOT), inside the audit-head lock. That was
-- most of what storing an arriving message cost PostgreSQL.
--
-- Now the message's own trigger runs BEFORE the write and sets the key in the row being
-- written. A writer may give the key it knows the message will have once its deliveries
-- are stored in the same transaction; the trigger keeps the more urgent of that and the
-- key the stored deliveries give, so a writer that gives none (the column's default,
-- '113', the least urgent key there is) gets the computed one. A delivery's trigger
-- then writes the message only when the key it computes differs from the stored one.
-- The rule that computes the key is unchanged, and in one place.
CREATE FUNCTION forewarn_urgency_of(mid TEXT, prio TEXT) RETURNS TEXT LANGUAGE sql STABLE AS $$
	SELECT CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = mid AND d.overdue_since IS NOT NULL AND d.actioned_at IS NULL) THEN '0' ELSE '1' END
		|| COALESCE('0' || (SELECT MIN(d.deadline) FROM deliveries d WHERE d.message_id = mid AND d.actioned_at IS NULL), '1')
		|| CASE prio WHEN 'flash' THEN '0' WHEN 'urgent' THEN '1' WHEN 'priority' THEN '2' ELSE '3' END
$$;

CREATE FUNCTION forewarn_message_urgency_before() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	computed TEXT := forewarn_urgency_of(NEW.id, NEW.priority);
BEGIN
	IF TG_OP = 'INSERT' AND NEW.urgency COLLATE "C" < computed COLLATE "C" THEN
		RETURN NEW; -- the key its deliveries, stored next in this transaction, give it
	END IF;
	NEW.urgency := computed;
	RETURN NEW;
END
$$;

DROP TRIGGER messages_urgency ON messages;
CREATE TRIGGER messages_urgency BEFORE INSERT OR UPDATE OF priority ON messages
	FOR EACH ROW EXECUTE FUNCTION forewarn_message_urgency_before();

CREATE OR REPLACE FUNCTION forewarn_message_urgency() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	ids TEXT[];
BEGIN
	IF TG_OP = 'INSERT' THEN
		ids := ARRAY[NEW.message_id];
	ELSIF TG_OP = 'DELETE' THEN
		ids := ARRAY[OLD.message_id];
	ELSE
		ids := ARRAY[OLD.message_id, NEW.message_id];
	END IF;
	UPDATE messages m SET urgency = u.key
	FROM (SELECT id, forewarn_urgency_of(id, priority) AS key FROM messages WHERE id = ANY (ids)) u
	WHERE m.id = u.id AND m.urgency <> u.key;
	RETURN NULL;
END
$$;
