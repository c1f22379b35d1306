-- Every message and delivery stored, sent or received, wrote each index of its table.
-- These were written for nothing, or for rows no query asks for:
-- - message_recipients_agency: no query looks recipients up by agency alone; the peer
--   filter asks for (message_id, agency), the primary key.
-- - deliveries_due: the same rows as deliveries_due_urgent (outgoing, not delivered),
--   which answers every query it answered.
-- - deliveries_peer_delivered: only outgoing deliveries are asked for (peer health); an
--   incoming one no longer writes it.
-- - deliveries_open: only deliveries with an escalation to come are asked for; one
--   without (no deadline) no longer writes it.
-- - messages_thread: a message that replies to none is its own thread's root, found by
--   its key; the index holds only replies (the thread filter asks for both).
DROP INDEX message_recipients_agency;
DROP INDEX deliveries_due;
DROP INDEX deliveries_peer_delivered;
CREATE INDEX deliveries_peer_delivered ON deliveries (agency, delivered_at, direction) WHERE direction = 'out';
DROP INDEX deliveries_open;
CREATE INDEX deliveries_open ON deliveries (next_escalation) WHERE actioned_at IS NULL AND next_escalation IS NOT NULL;
DROP INDEX messages_thread;
CREATE INDEX messages_thread ON messages (thread_root) WHERE thread_root <> id;
