-- A token made for another program (not a person's CLI) is told so, because handling
-- marks decide what the JSON API gives it: TLP:RED is for named individuals only.
ALTER TABLE api_tokens ADD COLUMN program BOOLEAN NOT NULL DEFAULT FALSE;
