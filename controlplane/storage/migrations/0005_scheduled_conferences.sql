-- Scheduled conferences (issue 6): a conference at a date and time with its participants, created
-- and cleaned up by jobs (ScheduleStore, AliasNumberStore). Same conventions as 0001.

-- status moves pending -> active (the schedule.create job made the conference) -> completed (the
-- end has passed), or to cancelled from pending or active. conference_deleted is set, once, by
-- the schedule.cleanup job that deleted the conference.
CREATE TABLE scheduled_conferences (
  id {{AUTO_ID}},
  title TEXT NOT NULL DEFAULT '',
  starts_at BIGINT NOT NULL,
  ends_at BIGINT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'cancelled', 'completed')),
  conference_name TEXT UNIQUE,  -- deterministic (from the id), so a retried creation finds it
  conference_id BIGINT,         -- conferences.id once created; kept after deletion as a record
  alias_number BIGINT,
  host_pin TEXT,
  guest_pin TEXT,
  conference_deleted INTEGER NOT NULL DEFAULT 0 CHECK (conference_deleted IN (0, 1)),
  conference_deleted_at BIGINT,
  created_by BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  CHECK (ends_at > starts_at)
);
CREATE INDEX scheduled_conferences_created ON scheduled_conferences (created_at, id);
CREATE INDEX scheduled_conferences_cleanup
  ON scheduled_conferences (conference_deleted, status, ends_at);

-- Who is invited, as host or guest. invitation_sent is cleared when the participant must hear
-- from us again (new email, new time, cancellation) and set in the transaction that enqueues the
-- message, so each message goes out once; notices_sent counts the messages enqueued.
CREATE TABLE scheduled_conference_participants (
  id {{AUTO_ID}},
  schedule_id BIGINT NOT NULL REFERENCES scheduled_conferences (id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  name TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL CHECK (role IN ('host', 'guest')),
  invitation_sent INTEGER NOT NULL DEFAULT 0 CHECK (invitation_sent IN (0, 1)),
  invitation_sent_at BIGINT,
  notices_sent BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  UNIQUE (schedule_id, email)
);

-- Alias numbers handed out to scheduled conferences: one row per number ever used. released_at
-- is NULL while the number's conference lives; a released number is reused only once the
-- configured quarantine has passed, by updating its row, so no number is ever held twice.
CREATE TABLE alias_numbers (
  number BIGINT PRIMARY KEY,
  schedule_id BIGINT REFERENCES scheduled_conferences (id) ON DELETE SET NULL,
  allocated_at BIGINT NOT NULL,
  released_at BIGINT
);

-- Where the next allocation starts looking (one row), so numbers go round the range instead of
-- reusing the lowest free one; its row lock also serializes allocators.
CREATE TABLE alias_number_cursor (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  next_number BIGINT NOT NULL
);
