-- What the HTTP API (accounts, meetings) needs beyond 0001. Same conventions as 0001.

-- A meeting's title, and when its recording was first asked for (NULL: never).
ALTER TABLE meetings ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE meetings ADD COLUMN recording_requested_at BIGINT;
-- Listing pages through meetings in creation order.
CREATE INDEX meetings_created ON meetings (created_at, id);

-- At most one open participation per account and meeting: two control planes racing to join the
-- same account produce one row, and the participant count stays true.
CREATE UNIQUE INDEX meeting_participants_open
  ON meeting_participants (meeting_id, account_id) WHERE left_at IS NULL;

-- Failed logins, kept in the database so every control plane sharing it enforces the same
-- per-account and per-address limits. Rows older than the limiter's window are pruned.
CREATE TABLE login_failures (
  id {{AUTO_ID}},
  email TEXT NOT NULL,  -- as attempted, normalized; may name no account
  source_address TEXT NOT NULL,
  failed_at BIGINT NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (email, failed_at);
CREATE INDEX login_failures_address ON login_failures (source_address, failed_at);
