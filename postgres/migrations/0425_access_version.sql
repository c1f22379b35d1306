-- The version of what an API request is let through by: API tokens, users, peers and
-- sharing agreements. Every write to those tables, by any process, moves it on, so a
-- server that keeps them in memory reads this one row to know that what it holds is
-- still what the store says (a token revoked by the CLI or another server is refused at
-- once) instead of reading the token, its user, the peer and the agreement for every
-- request.
CREATE TABLE access_version (id INTEGER PRIMARY KEY CHECK (id = 1), n BIGINT NOT NULL);
INSERT INTO access_version (id, n) VALUES (1, 1);

CREATE FUNCTION forewarn_access_version_next() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE access_version SET n = n + 1 WHERE id = 1;
	RETURN NULL;
END $$;

CREATE TRIGGER api_tokens_access AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON api_tokens FOR EACH STATEMENT EXECUTE FUNCTION forewarn_access_version_next();
CREATE TRIGGER users_access AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users FOR EACH STATEMENT EXECUTE FUNCTION forewarn_access_version_next();
CREATE TRIGGER peers_access AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON peers FOR EACH STATEMENT EXECUTE FUNCTION forewarn_access_version_next();
CREATE TRIGGER sharing_agreements_access AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sharing_agreements FOR EACH STATEMENT EXECUTE FUNCTION forewarn_access_version_next();
