-- Recordings (issue 7). Same conventions as 0001.
--
-- One row per recorded meeting, the work queue of mgw-recorder: "recording.start" (or a claim)
-- creates it `requested`; a recorder claims it with a lease (`assigned`), reports `recording`
-- and `uploading` while it renews the lease, and finishes it `done` (with the file's location,
-- link, SHA-256 and manifest) or `failed`. A row whose lease expired is claimable again, so a
-- restarted recorder resumes it. `meeting_id` is deliberately not a foreign key: the meeting is
-- deleted once the recording is delivered, and this row stays as the record of it.
CREATE TABLE recordings (
  id {{AUTO_ID}},
  meeting_id TEXT NOT NULL UNIQUE,  -- one recording per meeting
  state TEXT NOT NULL
    CHECK (state IN ('requested', 'assigned', 'recording', 'uploading', 'done', 'failed')),
  recorder TEXT,  -- the name of the recorder holding (or last holding) the lease
  claims INTEGER NOT NULL DEFAULT 0,  -- claims so far; fences a claim like jobs.attempts
  lease_expires_at BIGINT,
  token_id BIGINT,  -- the access token handed to the recorder for signalling; revoked at the end
  file_name TEXT,  -- {meeting_id}_{epoch_start_ms}.mkv, reported when the file is opened
  location TEXT,  -- s3://bucket/key or file:///path
  link TEXT,  -- time-limited (presigned) URL, or the file URL in local-folder mode
  link_expires_at BIGINT,
  sha256 TEXT,  -- lower-case hex of the whole file
  size_bytes BIGINT,
  duration_ms BIGINT,
  manifest TEXT,  -- JSON, as the recorder wrote it
  error TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  completed_at BIGINT
);
CREATE INDEX recordings_claimable ON recordings (state, lease_expires_at);
