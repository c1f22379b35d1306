-- What this node has agreed to send each peer (forewarn.SharingAgreement), kept whole as
-- JSON: it is read whole before every send to the peer, never searched.
CREATE TABLE sharing_agreements (
	agency_code TEXT PRIMARY KEY,
	data        TEXT NOT NULL,
	updated_at  TEXT NOT NULL
);
