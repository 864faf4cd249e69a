-- What the Pexip-compatible management API needs beyond the conferences and conference_aliases
-- tables of 0001. Same conventions as 0001.

-- The columns lists filter on (name is in 0001); every other Pexip field stays in `fields`, the
-- JSON object the conference service reads and writes whole.
ALTER TABLE conferences ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE conferences ADD COLUMN tag TEXT NOT NULL DEFAULT '';
-- The meeting that runs the conference, while one does (the status API reads it).
ALTER TABLE conferences ADD COLUMN meeting_id TEXT REFERENCES meetings (id) ON DELETE SET NULL;
CREATE INDEX conferences_tag ON conferences (tag, id);
CREATE INDEX conferences_meeting ON conferences (meeting_id);
