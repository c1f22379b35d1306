-- deliveries_deadline_open answered only the unactioned filter of the message list, which
-- now asks the message's urgency key instead, read in the urgency indexes (the key's
-- second character is 0 exactly when a delivery with a deadline is not yet actioned,
-- migration 0230), as SQLite's migration 0440 says; the urgency triggers read a
-- message's deliveries by their key. Every delivery with a deadline, nearly every one
-- sent or received, wrote an entry, and every receipt recorded on it another.
DROP INDEX deliveries_deadline_open;
