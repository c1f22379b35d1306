-- Imports: which subject each dataset entry became, what the dataset said about it last
-- (so a re-import changes only what the dataset changed), and one row per import job.
CREATE TABLE subject_sources (
	dataset           TEXT NOT NULL,
	external_id       TEXT NOT NULL,
	subject_id        TEXT NOT NULL REFERENCES subjects (id),
	version           TEXT NOT NULL,
	record_digest     TEXT NOT NULL, -- SHA-256 of record
	record            TEXT NOT NULL, -- the forewarn.ImportRecord as JSON
	job_id            TEXT NOT NULL, -- the job that last wrote it
	updated_at        TEXT NOT NULL,
	withdrawn_at      TEXT NOT NULL, -- '' while the dataset carries the entry
	withdrawn_version TEXT NOT NULL,
	PRIMARY KEY (dataset, external_id)
);
CREATE INDEX subject_sources_subject ON subject_sources (subject_id);

CREATE TABLE import_jobs (
	id          TEXT PRIMARY KEY,
	dataset     TEXT NOT NULL,
	status      TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
	data        JSONB NOT NULL, -- the whole forewarn.ImportJob
	started_at  TEXT NOT NULL,
	updated_at  TEXT NOT NULL
);
CREATE INDEX import_jobs_dataset ON import_jobs (dataset, started_at);
