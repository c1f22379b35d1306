-- The urgency key (migrations 0230, 0370) learns of deliveries inserted with one call of
-- a trigger per statement, not one per delivery: a batch of arrivals inserts its
-- deliveries in one statement (sqlstore's arrivalsInsert), and each ran a PL/pgSQL call
-- (queued as an after-trigger event, its function set up, its SELECT of the message
-- started and ended) to find, nearly always, the key its writer had given the message
-- already right (migration 0350). Now the statement's deliveries (a transition table)
-- are read by one query, which rewrites only the keys they change, as the row trigger
-- did: of a message's deliveries not actioned, one overdue makes it overdue, and the
-- earliest deadline of theirs and of the key stored is its deadline. Rows of one message
-- in one statement fold the same whatever their order, as they did one after another.
-- Updates and deletes keep their row trigger, which reads the message's deliveries.
CREATE FUNCTION forewarn_record_inserted_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE messages m SET urgency = k.computed
	FROM (SELECT x.id,
			CASE WHEN x.overdue THEN '0' ELSE substr(x.stored, 1, 1) END
			|| CASE WHEN x.deadline IS NOT NULL AND (substr(x.stored, 2, 1) = '1'
				OR x.deadline < substr(x.stored, 3, length(x.stored) - 3) COLLATE "C")
				THEN '0' || x.deadline ELSE substr(x.stored, 2, length(x.stored) - 2) END
			|| right(x.stored, 1) AS computed
		FROM (SELECT i.message_id AS id, MIN(s.urgency) AS stored, bool_or(i.overdue_since IS NOT NULL) AS overdue,
				MIN(i.deadline COLLATE "C") AS deadline
			FROM inserted i JOIN messages s ON s.id = i.message_id
			WHERE i.actioned_at IS NULL AND (i.overdue_since IS NOT NULL OR i.deadline IS NOT NULL)
			GROUP BY i.message_id) AS x) AS k
	WHERE m.id = k.id AND m.urgency <> k.computed;
	RETURN NULL;
END
$$;

DO $$
BEGIN
	EXECUTE format('ALTER FUNCTION %I.forewarn_record_inserted_deliveries SET search_path = %I', current_schema(), current_schema());
END $$;

DROP TRIGGER deliveries_urgency ON deliveries;
CREATE TRIGGER deliveries_urgency AFTER DELETE OR UPDATE OF message_id, actioned_at, overdue_since, deadline ON deliveries
	FOR EACH ROW EXECUTE FUNCTION forewarn_message_urgency();
CREATE TRIGGER deliveries_urgency_insert AFTER INSERT ON deliveries REFERENCING NEW TABLE AS inserted
	FOR EACH STATEMENT EXECUTE FUNCTION forewarn_record_inserted_deliveries();
