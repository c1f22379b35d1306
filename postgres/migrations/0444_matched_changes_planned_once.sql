-- The check a batch of late arrivals makes of the change log (sqlstore's matchedGuard)
-- as a function, for two settings. plan_cache_mode: its statement's generic plan looked
-- dearer than one made for each call's arguments (it cannot count the arrays), so
-- PostgreSQL planned it anew at every call, about 0.1-0.2 ms of the server's CPU each
-- time, one call per batch of arrivals. enable_seqscan: on a young change log (never
-- analysed: a new node taking a burst) it read the changes after a Seq by a scan and a
-- sort of the whole log rather than by its key, for the few there are. PL/pgSQL keeps
-- the plan made under them for the session.
--
-- For the IDs of the messages stored ($4), it returns the Seq of the change each insert
-- logged, in their order, found by the message's ID among those after the Seq the
-- arrivals were matched through ($1); and it fails (division by zero) unless every
-- change after $1 is an arrival told of ($2, their Seqs) or being stored ($3, their
-- IDs), the only change of its message since, and there are no more than $5.
CREATE FUNCTION forewarn_matched_changes(BIGINT, BIGINT[], TEXT[], TEXT[], INTEGER) RETURNS SETOF BIGINT LANGUAGE plpgsql
SET enable_seqscan = off SET plan_cache_mode = force_generic_plan AS $$
BEGIN
	RETURN QUERY WITH c AS (SELECT seq, kind, object_id, COUNT(*) OVER (PARTITION BY kind, object_id) AS times FROM
		(SELECT seq, kind, object_id FROM changes WHERE seq > $1 ORDER BY seq LIMIT $5 + 1) AS l)
	SELECT COALESCE(o.seq, 0) / (CASE WHEN o.seq IS NOT NULL AND (SELECT COUNT(*) FROM c) <= $5
		AND NOT EXISTS (SELECT 1 FROM c WHERE NOT COALESCE(seq = ANY($2) OR kind = 'message' AND object_id = ANY($3) AND times = 1, FALSE))
		THEN 1 ELSE 0 END)
	FROM unnest($4) WITH ORDINALITY AS x (id, n)
	LEFT JOIN LATERAL (SELECT MAX(seq) AS seq FROM c WHERE kind = 'message' AND object_id = x.id) AS o ON TRUE
	ORDER BY x.n;
END
$$;
