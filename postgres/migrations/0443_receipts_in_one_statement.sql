-- A batch of receipts recorded by one statement, not one UPDATE each: a statement costs
-- PostgreSQL more than the row it writes (its relations locked and opened, its executor
-- started and ended, its messages to and from the client). The receipts come as one
-- array per column; the function returns how many deliveries it recorded, and the store
-- fails the batch unless that is every one (each must be open, outgoing, with the failed
-- attempts its receipt says), as it did for each receipt alone.
--
-- A function for one setting: enable_seqscan off. Joined to the receipts, deliveries are
-- looked up by their key, which PostgreSQL only chooses when it knows the table: on a
-- young one (never analysed: a new node, a benchmark's fresh schema) it estimated the
-- few open deliveries to read as cheaper to find by a scan of all of them, and kept that
-- plan, which made each batch read every delivery held. PL/pgSQL keeps the plan made
-- under the setting for the session.
CREATE FUNCTION forewarn_record_receipts(TEXT[], TEXT[], TEXT[], BYTEA[], INTEGER[]) RETURNS BIGINT LANGUAGE plpgsql
SET enable_seqscan = off AS $$
DECLARE
	n BIGINT;
BEGIN
	WITH w AS (UPDATE deliveries d SET delivered_at = r.at, receipt = r.receipt, next_attempt = NULL, claimed_by = ''
		FROM unnest($1, $2, $3, $4, $5) AS r (message_id, agency, at, receipt, attempts)
		WHERE d.message_id = r.message_id AND d.agency = r.agency AND COALESCE(d.delivered_at, '') = ''
			AND d.direction <> 'in' AND d.attempts = r.attempts
		RETURNING 1)
	SELECT COUNT(*) INTO n FROM w;
	RETURN n;
END
$$;
