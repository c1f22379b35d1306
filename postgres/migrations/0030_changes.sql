-- The change log: one row for every write to what the match index holds (a subject, or a
-- message this node received), so that every running node, whatever process or server made
-- the write, catches its index up to the store by reading only what changed since it last
-- looked. Triggers write it, in the writing transaction, so no code path can forget to.
--
-- A reader reads "seq > the last seq I applied", so it must never find a lower seq
-- committing later: a sequence alone allows that (transaction A takes 7, B takes 8, B
-- commits, a reader reads 8, then A commits 7, and 7 is skipped for ever). So every
-- transaction that writes a change first locks the one change_head row and holds it until
-- it commits or rolls back: seqs are taken in lock order, and a transaction takes its
-- first seq only after the one before it has finished, so seq order is commit order and a
-- reader always sees a prefix (with gaps from rollbacks, which are harmless). This was
-- chosen over reading only below the oldest in-flight transaction (pg_snapshot_xmin),
-- which is cluster-wide: any long transaction anywhere would hold back every node's index.
-- Writers already queue on the audit head, which they lock first, so this adds no waits
-- and cannot deadlock.
CREATE TABLE change_head (
	id INTEGER PRIMARY KEY CHECK (id = 1)
);
INSERT INTO change_head (id) VALUES (1);

CREATE TABLE changes (
	seq       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	kind      TEXT NOT NULL CHECK (kind IN ('subject', 'message')),
	object_id TEXT NOT NULL
);

CREATE FUNCTION forewarn_record_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM 1 FROM change_head WHERE id = 1 FOR UPDATE;
	IF TG_OP = 'DELETE' THEN
		INSERT INTO changes (kind, object_id) VALUES (TG_ARGV[0], OLD.id);
	ELSIF TG_OP = 'UPDATE' AND OLD.id <> NEW.id THEN
		INSERT INTO changes (kind, object_id) VALUES (TG_ARGV[0], OLD.id);
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		INSERT INTO changes (kind, object_id) VALUES (TG_ARGV[0], NEW.id);
	END IF;
	RETURN NULL;
END
$$;

CREATE TRIGGER subjects_change AFTER INSERT OR UPDATE OR DELETE ON subjects
	FOR EACH ROW EXECUTE FUNCTION forewarn_record_change('subject');

CREATE TRIGGER messages_change_insert AFTER INSERT ON messages
	FOR EACH ROW WHEN (NEW.direction = 'in') EXECUTE FUNCTION forewarn_record_change('message');
CREATE TRIGGER messages_change_update AFTER UPDATE OF id, direction, message ON messages
	FOR EACH ROW WHEN (OLD.direction = 'in' OR NEW.direction = 'in') EXECUTE FUNCTION forewarn_record_change('message');
CREATE TRIGGER messages_change_delete AFTER DELETE ON messages
	FOR EACH ROW WHEN (OLD.direction = 'in') EXECUTE FUNCTION forewarn_record_change('message');
