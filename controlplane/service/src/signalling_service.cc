#include "mgw/service/signalling_service.h"

#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "mgw/service/service_error.h"
#include "mgw/storage/transaction.h"

namespace mgw::service {
namespace {

ServiceError NotFound(std::string_view id) {
  return ServiceError(ErrorKind::kNotFound, std::string(problem::kNotFound), "Not found",
                      fmt::format("no meeting {}", id));
}

ServiceError NotParticipant(std::string_view id) {
  return ServiceError(ErrorKind::kConflict, std::string(problem::kNotParticipant),
                      "Not a participant", fmt::format("you are not in meeting {}", id));
}

std::string RandomKeyBase64(std::size_t bytes) {
  std::vector<unsigned char> key(bytes);
  randombytes_buf(key.data(), key.size());
  std::string out(sodium_base64_encoded_len(bytes, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), key.data(), key.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  sodium_memzero(key.data(), key.size());
  return out;
}

std::uint32_t RandomSsrc() {
  std::uint32_t ssrc = 0;
  while (ssrc == 0) ssrc = randombytes_random();
  return ssrc;
}

storage::Meeting RequireActive(storage::MeetingStore& meetings, storage::SqlExecutor& tx,
                               std::string_view meeting_id) {
  if (!meetings.Lock(tx, meeting_id)) throw NotFound(meeting_id);
  std::optional<storage::Meeting> meeting = meetings.Find(tx, meeting_id);
  if (!meeting) throw NotFound(meeting_id);
  if (meeting->state == storage::MeetingState::kEnded) {
    throw ServiceError(ErrorKind::kConflict, std::string(problem::kMeetingEnded), "Meeting ended",
                       fmt::format("meeting {} has ended", meeting_id));
  }
  return *std::move(meeting);
}

}  // namespace

storage::MediaAllocation SignallingService::AllocateMedia(bool srtp) {
  storage::MediaAllocation media;
  media.audio_ssrc = RandomSsrc();
  do {
    media.video_ssrc = RandomSsrc();
  } while (media.video_ssrc == media.audio_ssrc);
  do {
    media.video_rtx_ssrc = RandomSsrc();
  } while (media.video_rtx_ssrc == media.audio_ssrc || media.video_rtx_ssrc == media.video_ssrc);
  if (!srtp) return media;
  media.srtp_suite = "AES_CM_128_HMAC_SHA1_80";
  media.srtp_rx_key = RandomKeyBase64(30);
  media.srtp_tx_key = RandomKeyBase64(30);
  return media;
}

SignallingJoin SignallingService::Join(const Caller& caller, std::string_view meeting_id,
                                       std::optional<std::string> display_name, bool recorder,
                                       bool srtp, const ProgramJoin& program,
                                       std::optional<std::uint8_t> rtx_payload_type,
                                       std::optional<std::string> declared_address) {
  RequireScope(caller, storage::ApiKeyScope::kWrite);
  return storage::InTransaction(db_, [&](storage::Transaction& tx) {
    storage::Meeting meeting = RequireActive(meetings_, tx, meeting_id);
    const bool host = meeting.host_account_id && *meeting.host_account_id == caller.account_id;
    if (recorder && !host && !caller.IsAdmin()) {
      throw ServiceError(ErrorKind::kForbidden, std::string(problem::kForbidden), "Forbidden",
                         "only the host or an administrator may bring the recorder");
    }
    const std::string role = recorder ? "recorder" : (host ? "host" : "guest");
    if (meetings_.Join(tx, {.meeting_id = meeting.id,
                            .account_id = caller.account_id,
                            .display_name = display_name.value_or(caller.email),
                            .role = role}) &&
        meeting.node_id) {
      nodes_.AddParticipants(tx, *meeting.node_id, 1);
    }
    std::optional<storage::ParticipantMedia> self =
        media_.FindOpen(tx, meeting_id, caller.account_id);
    if (!self) throw NotParticipant(meeting_id);
    MeetingView view{*meetings_.Find(tx, meeting_id), std::nullopt};
    if (view.meeting.node_id) view.node = nodes_.Find(tx, *view.meeting.node_id);
    if (!self->media) {
      self->media = AllocateMedia(srtp);
      if (!recorder) self->media->rtx_payload_type = rtx_payload_type;
      self->media->declared_address = std::move(declared_address);
      media_.SetMedia(tx, self->participation_id, *self->media);
      if (program) program(view, *self);
    }
    SignallingJoin result{std::move(view), *self, media_.ListOpen(tx, meeting_id)};
    return result;
  });
}

std::optional<storage::ParticipantMedia> SignallingService::Leave(const Caller& caller,
                                                                  std::string_view meeting_id) {
  return storage::InTransaction(
      db_, [&](storage::Transaction& tx) -> std::optional<storage::ParticipantMedia> {
        if (!meetings_.Lock(tx, meeting_id)) return std::nullopt;
        std::optional<storage::Meeting> meeting = meetings_.Find(tx, meeting_id);
        std::optional<storage::ParticipantMedia> self =
            media_.FindOpen(tx, meeting_id, caller.account_id);
        if (!meeting || !self) return std::nullopt;
        media_.DropSubscriptions(tx, self->participation_id);
        meetings_.Leave(tx, meeting_id, caller.account_id);
        if (meeting->node_id) nodes_.AddParticipants(tx, *meeting->node_id, -1);
        return self;
      });
}

std::vector<storage::VideoSubscription> SignallingService::ChangeFeeds(
    const Caller& caller, std::string_view meeting_id, const FeedChange& change,
    const ProgramFeeds& program) {
  RequireScope(caller, storage::ApiKeyScope::kWrite);
  return storage::InTransaction(db_, [&](storage::Transaction& tx) {
    RequireActive(meetings_, tx, meeting_id);
    std::optional<storage::ParticipantMedia> self =
        media_.FindOpen(tx, meeting_id, caller.account_id);
    if (!self) throw NotParticipant(meeting_id);
    return ApplyFeedChange(media_, tx, meeting_id, *self, change, program);
  });
}

std::vector<storage::ParticipantMedia> SignallingService::Users(std::string_view meeting_id) {
  return media_.ListOpen(db_, meeting_id);
}

std::vector<storage::VideoSubscription> ApplyFeedChange(
    storage::ParticipantMediaStore& media, storage::SqlExecutor& tx, std::string_view meeting_id,
    const storage::ParticipantMedia& self, const FeedChange& change,
    const SignallingService::ProgramFeeds& program) {
  std::set<std::int64_t> open;
  for (const storage::ParticipantMedia& p : media.ListOpen(tx, meeting_id)) {
    if (p.media && p.role != "recorder") open.insert(p.participation_id);
  }
  std::set<std::int64_t> feeds;
  for (const storage::VideoSubscription& s : media.SubscriptionsOf(tx, self.participation_id)) {
    feeds.insert(s.publisher_id);
  }
  for (std::int64_t id : change.remove) feeds.erase(id);
  for (std::int64_t id : change.add) {
    if (id == self.participation_id || !open.contains(id)) {
      ServiceError error(ErrorKind::kUnprocessable, std::string(problem::kInvalidField),
                         "Invalid field",
                         fmt::format("participant {} is not publishing in this meeting", id));
      error.WithField("subscribe");
      throw error;
    }
    feeds.insert(id);
  }
  const std::size_t limit = self.role == "recorder" ? kMaxRecorderVideoFeeds : kMaxVideoFeeds;
  if (feeds.size() > limit) {
    throw ServiceError(
        ErrorKind::kConflict, std::string(problem::kSubscriptionLimit), "Too many video feeds",
        fmt::format("at most {} video feeds; this change would make {}", limit, feeds.size()));
  }
  for (std::int64_t id : change.remove) media.Unsubscribe(tx, self.participation_id, id);
  for (std::int64_t id : change.add) {
    media.Subscribe(tx, {self.participation_id, id, change.bitrate_bps});
  }
  std::vector<storage::VideoSubscription> result = media.SubscriptionsOf(tx, self.participation_id);
  FeedChange programmed = change;
  for (const storage::VideoSubscription& s : result) {
    if (s.rtx && std::ranges::find(change.add, s.publisher_id) != change.add.end()) {
      programmed.rtx[s.publisher_id] = *s.rtx;
    }
  }
  if (program) program(self, programmed);
  return result;
}

}  // namespace mgw::service
