-- deliveries_claimed answered one query: ReleaseClaims, when a server starts, taking back
-- the deliveries it had claimed and not finished (claimed_by = it, not yet delivered). It
-- cost every message handed to the running worker as it is sent (its delivery is inserted
-- claimed) an index entry written, and every receipt one deleted, in the sender's serial
-- writer, for a query run once per start. The undelivered deliveries are in
-- deliveries_due_urgent (delivered_at IS NULL), which now answers it: a walk of the
-- deliveries not yet delivered, the backlog, once per start.
DROP INDEX deliveries_claimed;
