-- Every message stored, sent or received, wrote two ordering indexes for each order of
-- the message list: one over every message (messages_created, messages_urgency) and
-- one per direction (messages_direction_created, messages_direction_urgency). Every
-- match found wrote two likewise (matches_created, matches_score beside the ones per
-- status), and every alert raised wrote alerts_role_created beside alerts_open, which
-- holds the same keys for the open alerts, the only ones any query asks for by role.
-- A list of every direction (every status) now reads one range per direction (status)
-- of the per-direction (per-status) index and merges them in order (a UNION ALL ordered
-- as the index is; sqlstore's partitioned lists), so the others answer nothing: a
-- message stored writes two b-trees fewer, a match two, an alert one, in the serial
-- writer's turn and in each commit's pages.
DROP INDEX messages_created;
DROP INDEX messages_urgency;
DROP INDEX matches_created;
DROP INDEX matches_score;
DROP INDEX alerts_role_created;
