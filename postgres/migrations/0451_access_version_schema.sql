-- The access version moves in the schema of the table written, not in whichever schema
-- the writer's search_path finds first: a token revoked with psql under another
-- search_path (say, that of a second node in the same database) moved that node's
-- version, and the running servers of the node whose token it was kept it in memory.
-- A statement-level trigger on four tables written rarely: the dynamic statement costs
-- nothing that matters.
CREATE OR REPLACE FUNCTION forewarn_access_version_next() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('UPDATE %I.access_version SET n = n + 1 WHERE id = 1', TG_TABLE_SCHEMA);
	RETURN NULL;
END $$;
