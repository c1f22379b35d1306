-- The change log: one row for every write to what the match index holds (a subject, or a
-- message this node received), so that every running node, whatever process made the
-- write, catches its index up to the store by reading only what changed since it last
-- looked. Triggers write it, in the writing transaction, so no code path can forget to.
-- SQLite admits one writer at a time, so seq order is commit order.
CREATE TABLE changes (
	seq       INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused, even after pruning
	kind      TEXT NOT NULL CHECK (kind IN ('subject', 'message')),
	object_id TEXT NOT NULL
) STRICT;

CREATE TRIGGER subjects_change_insert AFTER INSERT ON subjects BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('subject', NEW.id);
END;
CREATE TRIGGER subjects_change_update AFTER UPDATE ON subjects BEGIN
	INSERT INTO changes (kind, object_id) SELECT 'subject', OLD.id WHERE OLD.id <> NEW.id;
	INSERT INTO changes (kind, object_id) VALUES ('subject', NEW.id);
END;
CREATE TRIGGER subjects_change_delete AFTER DELETE ON subjects BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('subject', OLD.id);
END;

CREATE TRIGGER messages_change_insert AFTER INSERT ON messages WHEN NEW.direction = 'in' BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('message', NEW.id);
END;
CREATE TRIGGER messages_change_update AFTER UPDATE OF id, direction, message ON messages
WHEN OLD.direction = 'in' OR NEW.direction = 'in' BEGIN
	INSERT INTO changes (kind, object_id) SELECT 'message', OLD.id WHERE OLD.id <> NEW.id;
	INSERT INTO changes (kind, object_id) VALUES ('message', NEW.id);
END;
CREATE TRIGGER messages_change_delete AFTER DELETE ON messages WHEN OLD.direction = 'in' BEGIN
	INSERT INTO changes (kind, object_id) VALUES ('message', OLD.id);
END;
