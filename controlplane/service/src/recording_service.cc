#include "mgw/service/recording_service.h"

#include <fmt/format.h>
#include <sodium.h>

#include <boost/json.hpp>

#include "mgw/service/job_runner.h"
#include "mgw/service/notifications.h"
#include "mgw/service/service_error.h"
#include "mgw/storage/password_hash.h"
#include "mgw/storage/secret_token.h"
#include "mgw/storage/storage_error.h"
#include "mgw/storage/transaction.h"

namespace mgw::service {
namespace {

constexpr std::string_view kLeaseLost = "/problems/lease-lost";

ServiceError RecordingNotFound(std::int64_t id) {
  return ServiceError(ErrorKind::kNotFound, std::string(problem::kNotFound), "Not found",
                      fmt::format("no recording {}", id));
}

// The completion's segments (a JSON array, checked by the API), or null.
boost::json::value SegmentsOf(const storage::RecordingResult& result) {
  if (!result.segments) return nullptr;
  boost::system::error_code ec;
  boost::json::value segments = boost::json::parse(*result.segments, ec);
  return ec ? boost::json::value(nullptr) : segments;
}

std::string ReadyText(const storage::RecordingRow& row, const storage::RecordingResult& result) {
  std::string text = fmt::format("The recording of meeting {} is ready.\n\nDownload: {}\n",
                                 row.meeting_id, result.link);
  if (result.link_expires_at) {
    text += fmt::format("The link works until {} (Unix time, seconds).\n",
                        storage::ToUnixMillis(*result.link_expires_at) / 1000);
  }
  text += fmt::format("Duration: {} s. SHA-256 of the file: {}\n", result.duration_ms / 1000,
                      result.sha256);
  // Several files (a participant joined after a file began, or a recorder resumed): every link.
  const boost::json::value segments = SegmentsOf(result);
  if (segments.is_array() && segments.as_array().size() > 1) {
    text += fmt::format("\nThe recording has {} files, in order:\n", segments.as_array().size());
    for (const boost::json::value& segment : segments.as_array()) {
      text +=
          fmt::format("- {} ({} s): {}\n", std::string_view(segment.at("file_name").as_string()),
                      segment.at("duration_ms").to_number<std::int64_t>() / 1000,
                      std::string_view(segment.at("link").as_string()));
    }
  }
  return text;
}

}  // namespace

void RecordingService::RequireRecorder(std::optional<std::string_view> authorization) const {
  const std::string& secret = options_.recorder_secret.Reveal();
  constexpr std::string_view kScheme = "Bearer ";
  if (secret.empty()) {
    throw ServiceError(ErrorKind::kUnauthenticated, std::string(problem::kUnauthenticated),
                       "Unauthenticated", "no recorder secret is configured on this control plane");
  }
  if (!authorization || !authorization->starts_with(kScheme)) {
    throw ServiceError(ErrorKind::kUnauthenticated, std::string(problem::kUnauthenticated),
                       "Unauthenticated", "send the recorder secret as a bearer credential");
  }
  const std::string_view given = authorization->substr(kScheme.size());
  if (given.size() != secret.size() ||
      sodium_memcmp(given.data(), secret.data(), secret.size()) != 0) {
    throw ServiceError(ErrorKind::kUnauthenticated, std::string(problem::kInvalidToken),
                       "Invalid token", "not the recorder secret");
  }
}

std::int64_t RecordingService::RecorderAccountId() {
  std::lock_guard lock(account_mutex_);
  if (recorder_account_id_) return *recorder_account_id_;
  std::optional<storage::Account> account = accounts_.FindByEmail(kRecorderAccountEmail);
  if (!account) {
    try {
      // A password nobody knows: the account only ever authenticates with claim tokens.
      account =
          accounts_.Create({.email = std::string(kRecorderAccountEmail),
                            .password_hash = storage::PasswordHash::Hash(storage::GenerateToken()),
                            .role = storage::Role::kAdmin});
    } catch (const storage::StorageError& e) {
      if (e.kind() != storage::StorageErrorKind::kUniqueViolation) throw;
      account = accounts_.FindByEmail(kRecorderAccountEmail);  // another control plane won
    }
  }
  if (!account) throw storage::StorageError(storage::StorageErrorKind::kInternal, "no recorder");
  recorder_account_id_ = account->id;
  return account->id;
}

std::optional<RecordingClaim> RecordingService::Claim(std::string_view recorder) {
  if (recorder.empty() || recorder.size() > 128) {
    throw ServiceError(ErrorKind::kUnprocessable, std::string(problem::kInvalidField),
                       "Invalid field", "recorder must be 1 to 128 characters")
        .WithField("recorder");
  }
  const std::int64_t account_id = RecorderAccountId();
  for (;;) {
    std::optional<RecordingClaim> claim =
        storage::InTransaction(db_, [&](storage::Transaction& tx) -> std::optional<RecordingClaim> {
          recordings_.CatchUpRequested(tx);
          std::optional<storage::RecordingRow> row =
              recordings_.ClaimNext(tx, recorder, options_.lease);
          if (!row) return std::nullopt;
          RecordingClaim out;
          out.resumed = row->state != storage::RecordingState::kAssigned || row->claims > 1;
          std::optional<storage::Meeting> meeting = meetings_.Find(tx, row->meeting_id);
          out.meeting_active = meeting && meeting->state == storage::MeetingState::kActive;
          out.recording = *std::move(row);
          return out;
        });
    if (!claim) return std::nullopt;
    // Nothing was recorded and there is nothing left to record: close it and look further.
    if (!claim->meeting_active && !claim->recording.file_name) {
      Fail(claim->recording.id, claim->recording.claims,
           "the meeting ended before the recorder joined");
      continue;
    }
    claim->token = storage::GenerateToken();
    storage::AccessToken token =
        accounts_.CreateToken({.account_id = account_id,
                               .token_hash = storage::HashToken(claim->token),
                               .expires_at = clock_.Now() + options_.token_ttl});
    recordings_.SetToken(db_, claim->recording.id, token.id);
    claim->recording.token_id = token.id;
    return claim;
  }
}

storage::RecordingRow RecordingService::Require(std::int64_t id) {
  std::optional<storage::RecordingRow> row = recordings_.Find(id);
  if (!row) throw RecordingNotFound(id);
  return *std::move(row);
}

void RecordingService::LeaseLost(std::int64_t id) {
  storage::RecordingRow row = Require(id);
  throw ServiceError(ErrorKind::kConflict, std::string(kLeaseLost), "Lease lost",
                     fmt::format("recording {} is {} and held by claim {}", id,
                                 storage::ToString(row.state), row.claims));
}

storage::RecordingRow RecordingService::Report(std::int64_t id, int claims,
                                               storage::RecordingState state,
                                               std::optional<std::string> file_name) {
  if (state != storage::RecordingState::kRecording &&
      state != storage::RecordingState::kUploading) {
    throw ServiceError(ErrorKind::kUnprocessable, std::string(problem::kInvalidField),
                       "Invalid field", "state must be recording or uploading")
        .WithField("state");
  }
  if (!recordings_.Report(db_, id, claims, state, std::move(file_name), options_.lease)) {
    LeaseLost(id);
  }
  return Require(id);
}

storage::RecordingRow RecordingService::Complete(std::int64_t id, int claims,
                                                 const storage::RecordingResult& result) {
  if (result.location.empty() || result.link.empty() || result.sha256.size() != 64) {
    throw ServiceError(ErrorKind::kUnprocessable, std::string(problem::kInvalidField),
                       "Invalid field", "location, link and a 64-digit sha256 are required")
        .WithField(result.location.empty() ? "location"
                   : result.link.empty()   ? "link"
                                           : "sha256");
  }
  std::optional<std::int64_t> token_id;
  storage::InTransaction(db_, [&](storage::Transaction& tx) {
    if (!recordings_.Complete(tx, id, claims, result)) LeaseLost(id);
    storage::RecordingRow row = *recordings_.Find(tx, id);
    token_id = row.token_id;
    boost::json::object body{{"event", "recording.ready"},
                             {"recording_id", row.id},
                             {"meeting_id", row.meeting_id},
                             {"location", result.location},
                             {"link", result.link},
                             {"sha256", result.sha256},
                             {"size_bytes", result.size_bytes},
                             {"duration_ms", result.duration_ms}};
    if (result.link_expires_at) {
      body["link_expires_at"] = storage::ToUnixMillis(*result.link_expires_at);
    }
    if (boost::json::value segments = SegmentsOf(result); segments.is_array()) {
      body["segments"] = std::move(segments);
    }
    if (!options_.webhook_url.empty()) {
      EnqueueWebhook(tx, jobs_, options_.webhook_url, "recording.ready", body);
    }
    const std::string subject = fmt::format("Recording of meeting {} is ready", row.meeting_id);
    for (const std::string& email : recordings_.Recipients(tx, row.meeting_id)) {
      EnqueueEmail(tx, jobs_, email, subject, ReadyText(row, result));
    }
    // The notifications carry everything they need, so the meeting (and with it the
    // recipients) may go as soon as they are enqueued.
    jobs_.Enqueue(tx, {.kind = std::string(kRecordingDeleteMeetingJobKind),
                       .payload = boost::json::serialize(boost::json::object{
                           {"meeting_id", row.meeting_id}, {"recording_id", row.id}})});
  });
  if (token_id) tokens_.Revoke(RecorderAccountId(), *token_id);
  return Require(id);
}

storage::RecordingRow RecordingService::Fail(std::int64_t id, int claims, std::string_view error) {
  if (!recordings_.Fail(db_, id, claims, error.substr(0, 2000))) LeaseLost(id);
  storage::RecordingRow row = Require(id);
  if (row.token_id) tokens_.Revoke(RecorderAccountId(), *row.token_id);
  return row;
}

storage::RecordingRow RecordingService::Get(const Caller& caller, std::int64_t id) {
  RequireAdmin(caller, "see recordings");
  return Require(id);
}

std::vector<storage::RecordingRow> RecordingService::List(const Caller& caller, std::size_t limit,
                                                          std::optional<std::int64_t> before_id) {
  RequireAdmin(caller, "list recordings");
  return recordings_.List(limit, before_id);
}

void RecordingService::OnStartJob(std::string_view meeting_id) {
  recordings_.EnsureRequested(db_, meeting_id);
}

void RecordingService::DeleteMeeting(std::string_view meeting_id) {
  storage::InTransaction(db_, [&](storage::Transaction& tx) {
    if (!meetings_.Lock(tx, meeting_id)) return;
    std::optional<storage::Meeting> meeting = meetings_.Find(tx, meeting_id);
    if (!meeting) return;
    if (meeting->node_id && meeting->participant_count > 0) {
      nodes_.AddParticipants(tx, *meeting->node_id, -meeting->participant_count);
    }
    meetings_.Delete(tx, meeting_id);
  });
}

void RegisterRecordingHandlers(JobRunner& runner, RecordingService& recordings) {
  auto meeting_of = [](const storage::Job& job) {
    boost::system::error_code ec;
    boost::json::value payload = boost::json::parse(job.payload, ec);
    const boost::json::value* id =
        ec || !payload.is_object() ? nullptr : payload.as_object().if_contains("meeting_id");
    if (id == nullptr || !id->is_string() || id->as_string().empty()) {
      throw JobFailure(storage::FailureKind::kPermanent, "payload has no meeting_id");
    }
    return std::string(id->as_string());
  };
  runner.Register(std::string(kRecordingStartJobKind),
                  [&recordings, meeting_of](const storage::Job& job) {
                    recordings.OnStartJob(meeting_of(job));
                  });
  runner.Register(std::string(kRecordingDeleteMeetingJobKind),
                  [&recordings, meeting_of](const storage::Job& job) {
                    recordings.DeleteMeeting(meeting_of(job));
                  });
}

}  // namespace mgw::service
