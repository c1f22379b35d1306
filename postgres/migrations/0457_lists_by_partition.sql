-- As on SQLite (its migration 0422): every message stored, sent or received, wrote two
-- ordering indexes over every message (messages_created, messages_urgency) beside the
-- ones per direction (messages_direction_created, messages_direction_urgency); every
-- match found wrote two (matches_created, matches_score) beside the ones per status;
-- every alert raised wrote alerts_role_created beside alerts_open, which holds the same
-- keys for the open alerts, the only ones any query asks for by role. A list of every
-- direction (every status) now reads one range per direction (status) of the
-- per-direction (per-status) index and merges them in order (a UNION ALL ordered as the
-- index is, which PostgreSQL reads as a merge of index scans; sqlstore's partitioned
-- lists), so the others answered nothing: an arrival and a send each write two index
-- entries fewer, a match two, an alert one.
DROP INDEX messages_created;
DROP INDEX messages_urgency;
DROP INDEX matches_created;
DROP INDEX matches_score;
DROP INDEX alerts_role_created;
