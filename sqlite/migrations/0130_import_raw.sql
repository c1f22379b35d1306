-- What an import read and could not map (a STIX indicator, a report from elsewhere):
-- each object version kept exactly as received, with the job that brought it, so that
-- nothing a dataset holds is dropped silently.
CREATE TABLE import_raw_objects (
	dataset     TEXT NOT NULL,
	external_id TEXT NOT NULL, -- its ID in the dataset (STIX: type--uuid)
	version     TEXT NOT NULL, -- STIX: modified ('' when it has none)
	type        TEXT NOT NULL,
	body        TEXT NOT NULL, -- the object, byte for byte
	job_id      TEXT NOT NULL,
	received_at TEXT NOT NULL,
	PRIMARY KEY (dataset, external_id, version)
) STRICT;
