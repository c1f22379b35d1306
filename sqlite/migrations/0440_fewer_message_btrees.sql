-- Every message stored, sent or received, wrote each of these for nothing:
-- - deliveries_deadline_open: it answered only the unactioned filter of the message list,
--   which now asks the message's urgency key (migration 0230: its second character is 0
--   exactly when a delivery with a deadline is not yet actioned), read in the urgency
--   indexes; the urgency triggers never used it. Every delivery with a deadline (nearly
--   every one, in either direction) wrote an entry, and deleted it when actioned.
-- - message_recipients, a table with a rowid and a separate index of its key: each
--   recipient was written twice, in the table and in the index. Without a rowid the
--   table is its key's index, one b-tree, and holds nothing else.
DROP INDEX deliveries_deadline_open;
CREATE TABLE message_recipients_by_key (
	message_id TEXT NOT NULL REFERENCES messages (id),
	agency     TEXT NOT NULL,
	PRIMARY KEY (message_id, agency)
) STRICT, WITHOUT ROWID;
INSERT INTO message_recipients_by_key (message_id, agency) SELECT message_id, agency FROM message_recipients;
DROP TABLE message_recipients;
ALTER TABLE message_recipients_by_key RENAME TO message_recipients;
