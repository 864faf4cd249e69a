-- The address a participant declared it receives media on (issue 7). Same conventions as 0001.
--
-- The recorder publishes nothing, so the dataplane can never latch its address from its packets:
-- it says where it listens in RECORD_JOIN ("ip:port"). Kept with its media so that a dataplane
-- that restarts is programmed again with it (before, the recorder's media stopped until it
-- rejoined). NULL: the dataplane learns the address from the participant's first packet.
ALTER TABLE meeting_participants ADD COLUMN media_address TEXT;
