-- A message inserted ran its urgency trigger (migration 0370, a PL/pgSQL call) to find,
-- nearly always, the key its writer gave it already right (migration 0350): the function
-- sets the key of a message without deliveries unless the one given is as urgent or more
-- (its deliveries, stored next in the same transaction, will give it that). Now the insert
-- trigger runs only when it changes the key, when the key given is less urgent than that
-- one (a writer that gave none, say), which its WHEN says without a call. The trigger on a
-- change of priority is unchanged.
DROP TRIGGER messages_urgency ON messages;
CREATE TRIGGER messages_urgency_insert BEFORE INSERT ON messages
	FOR EACH ROW WHEN (NEW.urgency COLLATE "C" > ('11' || CASE NEW.priority WHEN 'flash' THEN '0' WHEN 'urgent' THEN '1' WHEN 'priority' THEN '2' ELSE '3' END) COLLATE "C")
	EXECUTE FUNCTION forewarn_message_urgency_before();
CREATE TRIGGER messages_urgency BEFORE UPDATE OF priority ON messages
	FOR EACH ROW EXECUTE FUNCTION forewarn_message_urgency_before();
