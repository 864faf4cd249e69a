-- What joining conferences by alias and PIN needs beyond 0004. Same conventions as 0001.

-- Wrong PINs, per conference and source address, in the database so every control plane sharing
-- it counts the same attempts. `failures` counts wrong PINs since the last lockout (or the last
-- right PIN); past the threshold the source is locked out until `locked_until`, for a time that
-- doubles with each of `lockouts`. A right PIN outside a lockout deletes the row.
CREATE TABLE pin_failures (
  conference_id BIGINT NOT NULL REFERENCES conferences (id) ON DELETE CASCADE,
  source_address TEXT NOT NULL,
  failures BIGINT NOT NULL DEFAULT 0,
  lockouts BIGINT NOT NULL DEFAULT 0,
  locked_until BIGINT,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (conference_id, source_address)
);
-- Participations of a meeting by role (is a host in?), for joins and the status API.
CREATE INDEX meeting_participants_open_role ON meeting_participants (meeting_id, role, left_at);
