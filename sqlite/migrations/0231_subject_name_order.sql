-- The subjects list sorts by name as well as by last change: an index each, with and
-- without the watch-list filter, so a page is an index range at any size.
CREATE INDEX subjects_name ON subjects (primary_name, id);
CREATE INDEX subjects_watch_name ON subjects (watch, primary_name, id);
