-- A message ID is its sender's to choose, so messages are keyed by (sender, ID): another
-- agency's message under an ID this node already holds is stored beside it, under a local
-- ID of this node's making, with the sender's ID in wire_id. Replies and receipts use
-- wire_id; the node's pages, API and tables use id.
ALTER TABLE messages ADD COLUMN wire_id TEXT NOT NULL DEFAULT '';
UPDATE messages SET wire_id = id;
CREATE UNIQUE INDEX messages_sender_wire_id ON messages (from_agency, wire_id);
