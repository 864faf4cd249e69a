#include "node/dataplane_programmer.h"

#include <spdlog/spdlog.h>

#include <map>

namespace mgw::controlplane {

std::string DataplaneParticipantId(std::int64_t participation_id) {
  return "p" + std::to_string(participation_id);
}

control::AddParticipant AddCommandFor(std::string_view meeting_id,
                                      const storage::ParticipantMedia& participant) {
  control::AddParticipant add;
  add.participant = DataplaneParticipantId(participant.participation_id);
  add.meeting = std::string(meeting_id);
  add.recorder = participant.role == "recorder";
  if (!participant.media) return add;
  const storage::MediaAllocation& media = *participant.media;
  if (!media.srtp_suite.empty()) {
    control::SrtpKeys keys;
    keys.suite = media.srtp_suite == "AEAD_AES_128_GCM" ? control::SrtpSuite::kAeadAes128Gcm
                                                        : control::SrtpSuite::kAesCm128HmacSha1_80;
    keys.rx_key = control::Base64Decode(media.srtp_rx_key).value_or(std::vector<uint8_t>{});
    keys.tx_key = control::Base64Decode(media.srtp_tx_key).value_or(std::vector<uint8_t>{});
    add.srtp = std::move(keys);
  }
  // The recorder only receives; everyone else publishes one audio and one video stream.
  if (add.recorder) return add;
  add.audio = control::AudioSpec{.ssrc = media.audio_ssrc};
  add.video =
      control::VideoSpec{.codec = "vp8",
                         .payload_type = 96,
                         .clock_rate = 90000,
                         .rtx_payload_type = std::nullopt,
                         .encodings = {{media.video_ssrc, std::nullopt, kDefaultVideoBitrate}}};
  return add;
}

control::Swap SwapCommandFor(std::int64_t subscriber_id, const service::FeedChange& change) {
  control::Swap swap;
  swap.subscriber = DataplaneParticipantId(subscriber_id);
  for (std::int64_t id : change.remove) swap.remove.push_back(DataplaneParticipantId(id));
  for (std::int64_t id : change.add) {
    swap.add.push_back({DataplaneParticipantId(id), static_cast<uint64_t>(change.bitrate_bps)});
  }
  return swap;
}

std::size_t ReprogramDataplane(DataplaneLink& link, service::Services& services,
                               std::string_view node_id) {
  std::size_t added = 0;
  for (const std::string& meeting_id :
       services.media_store.LiveMeetingsOnNode(services.db, node_id)) {
    // A dataplane that merely lost its connection still has the meeting: start from nothing.
    try {
      link.Call(control::RemoveMeeting{meeting_id});
    } catch (const control::ControlCallError&) {
      // not_found: a restarted dataplane never had it
    }
    for (const storage::ParticipantMedia& p :
         services.media_store.ListOpen(services.db, meeting_id)) {
      if (!p.media) continue;
      link.Call(AddCommandFor(meeting_id, p));
      ++added;
    }
    std::map<std::int64_t, service::FeedChange> feeds;
    for (const storage::VideoSubscription& s :
         services.media_store.SubscriptionsInMeeting(services.db, meeting_id)) {
      service::FeedChange& change = feeds[s.subscriber_id];
      change.add.push_back(s.publisher_id);
      change.bitrate_bps = s.bitrate_bps;
    }
    for (const auto& [subscriber, change] : feeds) {
      link.Call(SwapCommandFor(subscriber, change));
    }
  }
  return added;
}

}  // namespace mgw::controlplane
