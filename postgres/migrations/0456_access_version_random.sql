-- The access version is a fresh random number at every write to API tokens, users, peers
-- or sharing agreements, where it was the last one plus one. A server's access cache only
-- compares it for equality, so counting bought nothing, and it left a gap: a database that
-- went back (a restore, a failover to a standby that lagged) and climbed again to the
-- number a server last read, with other contents, before any request read it, had that
-- server answer from memory for tokens and peers the store no longer held. Two histories
-- now reach the same number with odds of about one in 2^52 (random()'s precision).
CREATE OR REPLACE FUNCTION forewarn_access_version_next() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('UPDATE %I.access_version SET n = (random() * 9e18)::bigint WHERE id = 1', TG_TABLE_SCHEMA);
	RETURN NULL;
END $$;
UPDATE access_version SET n = (random() * 9e18)::bigint WHERE id = 1;
