-- RFC 4588 retransmission streams offered over signalling (issue 5). Same conventions as 0001.

-- The SSRC the participation's video retransmissions go out on (allocated with its other SSRCs
-- when it joins over signalling: its own RTX stream when it publishes one, and the SSRC every
-- subscriber that negotiated RTX receives that publisher's retransmissions on), and the RTX
-- payload type the participant announced in JOIN (NULL: it does not speak RFC 4588, so it
-- publishes no RTX stream and receives plain retransmissions). A leg's RTX stream is derived from
-- the two (the publisher's SSRC, the subscriber's payload type), so a restarted dataplane is
-- programmed with the same one.
ALTER TABLE meeting_participants ADD COLUMN video_rtx_ssrc BIGINT;
ALTER TABLE meeting_participants ADD COLUMN rtx_payload_type INTEGER;
