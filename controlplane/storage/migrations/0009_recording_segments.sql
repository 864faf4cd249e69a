-- Recording segments (issue 7). Same conventions as 0001.
--
-- A recording may be several files: the recorder starts a new segment
-- ({meeting_id}_{epoch_start_ms}) when a participant's media appears after a file's header was
-- written, and a recorder that resumes a meeting still running records into a new file. The
-- row's location, link, sha256, size_bytes and duration_ms stay those of the first file; this
-- column lists every file, first to last, as the recorder reported them: a JSON array of
-- {file_name, location, link, sha256, size_bytes, duration_ms}. NULL for rows completed before.
ALTER TABLE recordings ADD COLUMN segments TEXT;
