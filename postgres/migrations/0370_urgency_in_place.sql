-- The urgency key (migration 0230) kept without reading deliveries on the hot path.
-- Migration 0350 has the store insert a message with its key and the triggers write the
-- message only when the key changes; they still ran after every message and delivery
-- stored, reading the message's deliveries (in a query planned anew at each call) to find
-- the key unchanged, inside the audit-head lock.
--
-- Now the message's own trigger runs BEFORE the write and sets the key in the row being
-- written. A new message has no deliveries yet (their foreign key), so its key is known
-- without reading any; a writer may give the more urgent key its deliveries, stored next
-- in the same transaction, will give it, and then keeps it. A delivery stored derives the
-- key from the stored one and itself; a delivery changed or removed reads the message's
-- deliveries as before. Either writes the message only when its key changes. Whatever
-- the writer, the key stays the one migration 0230 defines.
--
-- The functions are PL/pgSQL, whose plans are kept for the session.
CREATE FUNCTION forewarn_urgency_of(mid TEXT, prio TEXT) RETURNS TEXT LANGUAGE plpgsql STABLE AS $$
BEGIN
	RETURN CASE WHEN EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = mid AND d.overdue_since IS NOT NULL AND d.actioned_at IS NULL) THEN '0' ELSE '1' END
		|| COALESCE('0' || (SELECT MIN(d.deadline) FROM deliveries d WHERE d.message_id = mid AND d.actioned_at IS NULL), '1')
		|| CASE prio WHEN 'flash' THEN '0' WHEN 'urgent' THEN '1' WHEN 'priority' THEN '2' ELSE '3' END;
END
$$;

CREATE FUNCTION forewarn_message_urgency_before() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	computed TEXT;
BEGIN
	IF TG_OP = 'INSERT' THEN
		-- No delivery can name a message not yet stored (their foreign key), so the key
		-- is the one of a message without deliveries, unless the writer gave the more
		-- urgent key its deliveries, stored next in this transaction, will give it.
		computed := '11' || CASE NEW.priority WHEN 'flash' THEN '0' WHEN 'urgent' THEN '1' WHEN 'priority' THEN '2' ELSE '3' END;
		IF NEW.urgency COLLATE "C" < computed COLLATE "C" THEN
			RETURN NEW;
		END IF;
	ELSE
		computed := forewarn_urgency_of(NEW.id, NEW.priority);
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
	mid TEXT;
	prio TEXT;
	stored TEXT;
	computed TEXT;
BEGIN
	IF TG_OP = 'INSERT' THEN
		ids := ARRAY[NEW.message_id];
	ELSIF TG_OP = 'DELETE' THEN
		ids := ARRAY[OLD.message_id];
	ELSIF OLD.message_id = NEW.message_id THEN
		ids := ARRAY[NEW.message_id];
	ELSE
		ids := ARRAY[OLD.message_id, NEW.message_id];
	END IF;
	FOREACH mid IN ARRAY ids LOOP
		SELECT priority, urgency INTO prio, stored FROM messages WHERE id = mid;
		IF FOUND AND TG_OP = 'INSERT' THEN
			-- A delivery added: the stored key, true before it, and the new delivery give
			-- the key without reading the message's other deliveries.
			computed := stored;
			IF NEW.actioned_at IS NULL THEN
				IF NEW.overdue_since IS NOT NULL THEN
					computed := '0' || substr(computed, 2);
				END IF;
				IF NEW.deadline IS NOT NULL AND (substr(computed, 2, 1) = '1' OR NEW.deadline COLLATE "C" < substr(computed, 3, length(computed) - 3) COLLATE "C") THEN
					computed := substr(computed, 1, 1) || '0' || NEW.deadline || right(computed, 1);
				END IF;
			END IF;
			IF computed <> stored THEN
				UPDATE messages SET urgency = computed WHERE id = mid;
			END IF;
		ELSIF FOUND THEN
			computed := forewarn_urgency_of(mid, prio);
			IF computed <> stored THEN
				UPDATE messages SET urgency = computed WHERE id = mid;
			END IF;
		END IF;
	END LOOP;
	RETURN NULL;
END
$$;
