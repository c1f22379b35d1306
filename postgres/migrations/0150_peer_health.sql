-- The peers page asks, per agency, when a delivery last arrived and how many still wait.
CREATE INDEX deliveries_peer_delivered ON deliveries (direction, agency, delivered_at);
