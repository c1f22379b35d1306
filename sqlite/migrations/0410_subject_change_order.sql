-- The subjects list's default order is the last change, then the ID: subjects changed in
-- the same instant (an import writes thousands at once) tied on the change alone, and
-- the database sorted the whole tie to give one page. With the ID in the index, a page
-- is an index range however many share an instant.
DROP INDEX subjects_updated;
DROP INDEX subjects_watch_updated;
CREATE INDEX subjects_updated ON subjects (updated_at, id);
CREATE INDEX subjects_watch_updated ON subjects (watch, updated_at, id);
