-- The version of what an API request is let through by: API tokens, users, peers and
-- sharing agreements. Every write to those tables, by any process, moves it on, so a
-- server that keeps them in memory reads this one row to know that what it holds is
-- still what the store says (a token revoked by the CLI is refused at once) instead of
-- reading the token, its user, the peer and the agreement for every request.
CREATE TABLE access_version (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
INSERT INTO access_version (id, n) VALUES (1, 1);

CREATE TRIGGER api_tokens_access_insert AFTER INSERT ON api_tokens BEGIN UPDATE access_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER api_tokens_access_update AFTER UPDATE ON api_tokens BEGIN UPDATE access_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER api_tokens_access_delete AFTER DELETE ON api_tokens BEGIN UPDATE access_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER users_access_insert AFTER INSERT ON users BEGIN UPDATE access_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER users_access_update AFTER UPDATE ON users BEGIN UPDATE access_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER users_access_delete AFTER DELETE ON users BEGIN UPDATE access_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER peers_access_insert AFTER INSERT ON peers BEGIN UPDATE access_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER peers_access_update AFTER UPDATE ON peers BEGIN UPDATE access_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER peers_access_delete AFTER DELETE ON peers BEGIN UPDATE access_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sharing_agreements_access_insert AFTER INSERT ON sharing_agreements BEGIN UPDATE access_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sharing_agreements_access_update AFTER UPDATE ON sharing_agreements BEGIN UPDATE access_version SET n = n + 1 WHERE id = 1; END;
CREATE TRIGGER sharing_agreements_access_delete AFTER DELETE ON sharing_agreements BEGIN UPDATE access_version SET n = n + 1 WHERE id = 1; END;
