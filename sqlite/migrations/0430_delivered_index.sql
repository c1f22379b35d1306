-- deliveries_peer_delivered answers peer health's "last delivered to each peer", which
-- asks for delivered outgoing deliveries only; it held the undelivered ones too. Recording
-- a receipt (delivered_at IS NULL, by its key) could then be planned through it, when
-- the table's statistics are not yet gathered or in a generic plan, and read every
-- undelivered delivery to the peer for each receipt: thousands per receipt under a
-- backlog, while the audit head was held. Holding only delivered ones, it cannot serve
-- that write, and a message sent writes one index entry fewer.
DROP INDEX deliveries_peer_delivered;
CREATE INDEX deliveries_peer_delivered ON deliveries (agency, delivered_at) WHERE direction = 'out' AND delivered_at IS NOT NULL;
