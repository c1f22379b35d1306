-- The change log (migration 0030) learns of received messages inserted with one call of
-- a trigger per statement, not one per message: a batch of arrivals inserts its messages
-- in one statement (sqlstore's arrivalsInsert), and each ran a PL/pgSQL call that locked
-- change_head and inserted its change by a statement of its own. Now the statement's
-- received messages (a transition table) lock it once and are logged by one insert; a
-- statement inserting none (a message sent) takes no lock and logs nothing, as the row
-- trigger's WHEN did. The lock is taken when the row triggers took it, once the
-- statement's rows are written, and held to commit. Updates and deletes keep their row
-- triggers.
CREATE FUNCTION forewarn_record_inserted_messages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF EXISTS (SELECT 1 FROM inserted WHERE direction = 'in') THEN
		PERFORM 1 FROM change_head WHERE id = 1 FOR UPDATE;
		INSERT INTO changes (kind, object_id) SELECT 'message', id FROM inserted WHERE direction = 'in';
	END IF;
	RETURN NULL;
END
$$;

DROP TRIGGER messages_change_insert ON messages;
CREATE TRIGGER messages_change_insert AFTER INSERT ON messages REFERENCING NEW TABLE AS inserted
	FOR EACH STATEMENT EXECUTE FUNCTION forewarn_record_inserted_messages();
