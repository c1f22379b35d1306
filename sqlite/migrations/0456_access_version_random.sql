-- The access version is a fresh random number at every write to API tokens, users, peers
-- or sharing agreements, where it was the last one plus one. A server's access cache only
-- compares it for equality, so counting bought nothing, and it left a gap: a database that
-- went back (a restore, a failover to a standby that lagged) and climbed again to the
-- number a server last read, with other contents, before any request read it, had that
-- server answer from memory for tokens and peers the store no longer held. Two histories
-- now reach the same number with odds of one in 2^63.
DROP TRIGGER api_tokens_access_insert;
CREATE TRIGGER api_tokens_access_insert AFTER INSERT ON api_tokens BEGIN UPDATE access_version SET n = random() & 9223372036854775807 WHERE id = 1; END;
DROP TRIGGER api_tokens_access_update;
CREATE TRIGGER api_tokens_access_update AFTER UPDATE ON api_tokens BEGIN UPDATE access_version SET n = random() & 9223372036854775807 WHERE id = 1; END;
DROP TRIGGER api_tokens_access_delete;
CREATE TRIGGER api_tokens_access_delete AFTER DELETE ON api_tokens BEGIN UPDATE access_version SET n = random() & 9223372036854775807 WHERE id = 1; END;
DROP TRIGGER users_access_insert;
CREATE TRIGGER users_access_insert AFTER INSERT ON users BEGIN UPDATE access_version SET n = random() & 9223372036854775807 WHERE id = 1; END;
DROP TRIGGER users_access_update;
CREATE TRIGGER users_access_update AFTER UPDATE ON users BEGIN UPDATE access_version SET n = random() & 9223372036854775807 WHERE id = 1; END;
DROP TRIGGER users_access_delete;
CREATE TRIGGER users_access_delete AFTER DELETE ON users BEGIN UPDATE access_version SET n = random() & 9223372036854775807 WHERE id = 1; END;
DROP TRIGGER peers_access_insert;
CREATE TRIGGER peers_access_insert AFTER INSERT ON peers BEGIN UPDATE access_version SET n = random() & 9223372036854775807 WHERE id = 1; END;
DROP TRIGGER peers_access_update;
CREATE TRIGGER peers_access_update AFTER UPDATE ON peers BEGIN UPDATE access_version SET n = random() & 9223372036854775807 WHERE id = 1; END;
DROP TRIGGER peers_access_delete;
CREATE TRIGGER peers_access_delete AFTER DELETE ON peers BEGIN UPDATE access_version SET n = random() & 9223372036854775807 WHERE id = 1; END;
DROP TRIGGER sharing_agreements_access_insert;
CREATE TRIGGER sharing_agreements_access_insert AFTER INSERT ON sharing_agreements BEGIN UPDATE access_version SET n = random() & 9223372036854775807 WHERE id = 1; END;
DROP TRIGGER sharing_agreements_access_update;
CREATE TRIGGER sharing_agreements_access_update AFTER UPDATE ON sharing_agreements BEGIN UPDATE access_version SET n = random() & 9223372036854775807 WHERE id = 1; END;
DROP TRIGGER sharing_agreements_access_delete;
CREATE TRIGGER sharing_agreements_access_delete AFTER DELETE ON sharing_agreements BEGIN UPDATE access_version SET n = random() & 9223372036854775807 WHERE id = 1; END;
UPDATE access_version SET n = random() & 9223372036854775807 WHERE id = 1;
