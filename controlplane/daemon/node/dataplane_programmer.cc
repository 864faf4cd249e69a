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
  add.address = media.declared_address;
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
  // A client that announced RFC 4588 publishes its retransmissions on its RTX SSRC.
  if (media.rtx_payload_type && media.video_rtx_ssrc != 0) {
    add.video->rtx_payload_type = media.rtx_payload_type;
    add.video->encodings[0].rtx_ssrc = media.video_rtx_ssrc;
  }
  return add;
}

control::Swap SwapCommandFor(std::int64_t subscriber_id, const service::FeedChange& change) {
  control::Swap swap;
  swap.subscriber = DataplaneParticipantId(subscriber_id);
  for (std::int64_t id : change.remove) swap.remove.push_back(DataplaneParticipantId(id));
  for (std::int64_t id : change.add) {
    if (change.rtx.contains(id)) continue;
    swap.add.push_back({DataplaneParticipantId(id), static_cast<uint64_t>(change.bitrate_bps)});
  }
  return swap;
}

void ProgramFeedChange(const DataplaneCall& call, std::int64_t subscriber_id,
                       const service::FeedChange& change) {
  const control::Swap swap = SwapCommandFor(subscriber_id, change);
  const bool swapped = !swap.remove.empty() || !swap.add.empty() || change.rtx.empty();
  if (swapped) call(swap);
  std::vector<std::string> subscribed;
  try {
    for (std::int64_t id : change.add) {
      auto rtx = change.rtx.find(id);
      if (rtx == change.rtx.end()) continue;
      control::Subscribe subscribe{swap.subscriber, DataplaneParticipantId(id),
                                   static_cast<uint64_t>(change.bitrate_bps)};
      subscribe.rtx_ssrc = rtx->second.ssrc;
      subscribe.rtx_payload_type = rtx->second.payload_type;
      call(subscribe);
      subscribed.push_back(subscribe.publisher);
    }
  } catch (const std::exception&) {
    try {
      for (const std::string& publisher : subscribed) {
        call(control::Unsubscribe{swap.subscriber, publisher});
      }
      if (swapped && (!swap.remove.empty() || !swap.add.empty())) {
        control::Swap back;
        back.subscriber = swap.subscriber;
        for (const control::SwapAdd& add : swap.add) back.remove.push_back(add.publisher);
        for (const std::string& publisher : swap.remove) {
          back.add.push_back({publisher, static_cast<uint64_t>(change.bitrate_bps)});
        }
        call(back);
      }
    } catch (const std::exception& e) {
      spdlog::warn("signalling: undoing a failed feed change for {}: {}", swap.subscriber,
                   e.what());
    }
    throw;
  }
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
    // Pipelined: the dataplane applies them as batches, one wait on its workers for many.
    std::vector<control::Command> adds;
    for (const storage::ParticipantMedia& p :
         services.media_store.ListOpen(services.db, meeting_id)) {
      if (p.media) adds.push_back(AddCommandFor(meeting_id, p));
    }
    link.CallAll(adds);
    added += adds.size();
    std::map<std::int64_t, service::FeedChange> feeds;
    for (const storage::VideoSubscription& s :
         services.media_store.SubscriptionsInMeeting(services.db, meeting_id)) {
      service::FeedChange& change = feeds[s.subscriber_id];
      change.add.push_back(s.publisher_id);
      change.bitrate_bps = s.bitrate_bps;
      if (s.rtx) change.rtx[s.publisher_id] = *s.rtx;
    }
    for (const auto& [subscriber, change] : feeds) {
      ProgramFeedChange([&link](const control::Command& c) { return link.Call(c); }, subscriber,
                        change);
    }
  }
  return added;
}

}  // namespace mgw::controlplane
