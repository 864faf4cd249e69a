-- What WebSocket signalling and the node registry need beyond 0002. Same conventions as 0001.

-- A participation's media, allocated by the control plane when the participant joins over
-- signalling (NULL for participations opened over HTTP only). Kept so a restarted dataplane can
-- be programmed again from the database: the dataplane keeps nothing durable. The SRTP keys are
-- base64 master key + salt; they protect one meeting's media and die with it.
ALTER TABLE meeting_participants ADD COLUMN audio_ssrc BIGINT;
ALTER TABLE meeting_participants ADD COLUMN video_ssrc BIGINT;
ALTER TABLE meeting_participants ADD COLUMN srtp_suite TEXT;
ALTER TABLE meeting_participants ADD COLUMN srtp_rx_key TEXT;
ALTER TABLE meeting_participants ADD COLUMN srtp_tx_key TEXT;

-- Video feeds a participation receives (SUBSCRIBE / UNSUBSCRIBE / UNSUB_SUB), by participation
-- id. Deleted with either end.
CREATE TABLE video_subscriptions (
  subscriber_id BIGINT NOT NULL REFERENCES meeting_participants (id) ON DELETE CASCADE,
  publisher_id BIGINT NOT NULL REFERENCES meeting_participants (id) ON DELETE CASCADE,
  bitrate_bps BIGINT NOT NULL,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (subscriber_id, publisher_id)
);
CREATE INDEX video_subscriptions_publisher ON video_subscriptions (publisher_id);

-- The rest of a node's heartbeat (load_participants is in 0001).
ALTER TABLE dataplane_nodes ADD COLUMN load_meetings BIGINT NOT NULL DEFAULT 0;
ALTER TABLE dataplane_nodes ADD COLUMN load_packets_per_second BIGINT NOT NULL DEFAULT 0;
CREATE INDEX dataplane_nodes_heartbeat ON dataplane_nodes (state, last_heartbeat_at);
