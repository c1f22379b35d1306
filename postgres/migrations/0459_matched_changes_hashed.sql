-- The check a batch of late arrivals makes of the change log (0444) compared each change
-- after the Seq matched through with every arrival told of ($2) and every arrival being
-- stored ($3), arrays of up to as many as are in flight (128): one batch's call read 150
-- changes against 250 values, about 0.3 ms of the server's time, in the recipient's serial
-- commit. The told and stored arrivals, and the changes of each message, are now joined by
-- hash (enable_nestloop off, as enable_seqscan already is: PL/pgSQL keeps the plan made
-- under them). Same arguments, same result.
CREATE OR REPLACE FUNCTION forewarn_matched_changes(BIGINT, BIGINT[], TEXT[], TEXT[], INTEGER) RETURNS SETOF BIGINT LANGUAGE plpgsql
SET enable_seqscan = off SET enable_nestloop = off SET plan_cache_mode = force_generic_plan AS $$
BEGIN
	RETURN QUERY WITH c AS (SELECT seq, kind, object_id, COUNT(*) OVER (PARTITION BY kind, object_id) AS times FROM
		(SELECT seq, kind, object_id FROM changes WHERE seq > $1 ORDER BY seq LIMIT $5 + 1) AS l),
	told AS (SELECT DISTINCT s FROM unnest($2) AS t (s)),
	storing AS (SELECT DISTINCT i FROM unnest($3) AS u (i)),
	unexplained AS (SELECT 1 FROM c LEFT JOIN told ON told.s = c.seq
		LEFT JOIN storing ON c.kind = 'message' AND storing.i = c.object_id
		WHERE told.s IS NULL AND NOT (storing.i IS NOT NULL AND c.times = 1)),
	latest AS (SELECT object_id, MAX(seq) AS seq FROM c WHERE kind = 'message' GROUP BY object_id)
	SELECT COALESCE(o.seq, 0) / (CASE WHEN o.seq IS NOT NULL AND (SELECT COUNT(*) FROM c) <= $5
		AND NOT EXISTS (SELECT 1 FROM unexplained) THEN 1 ELSE 0 END)
	FROM unnest($4) WITH ORDINALITY AS x (id, n)
	LEFT JOIN latest AS o ON o.object_id = x.id
	ORDER BY x.n;
END
$$;

-- As 0447: the function reads the tables of the schema it was created in.
DO $$
BEGIN
	EXECUTE format('ALTER FUNCTION %I.forewarn_matched_changes SET search_path = %I', current_schema(), current_schema());
END $$;
