-- Alerts and escalations keep their sentence as a phrase (issue 15, languages): a stable
-- code and typed arguments, as JSON ({"code": …, "args": […]}), beside the English text,
-- so that each page says it in its reader's language. Rows written before have '' and
-- keep showing their English.
ALTER TABLE alerts ADD COLUMN phrase TEXT NOT NULL DEFAULT '';
ALTER TABLE escalations ADD COLUMN phrase TEXT NOT NULL DEFAULT '';
