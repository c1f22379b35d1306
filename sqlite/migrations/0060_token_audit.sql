-- Every audit entry made with an API token records the token's ID, and tokens expire.
-- Existing entries keep an empty token (their hash never covered one); existing tokens
-- keep no expiry until revoked, as they were issued.
ALTER TABLE audit_entries ADD COLUMN actor_token TEXT NOT NULL DEFAULT '';
CREATE INDEX audit_entries_token ON audit_entries (actor_token) WHERE actor_token <> '';
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
