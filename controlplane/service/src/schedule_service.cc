#include "mgw/service/schedule_service.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "mgw/service/notifications.h"
#include "mgw/service/service_error.h"
#include "mgw/storage/storage_error.h"
#include "mgw/storage/transaction.h"

namespace mgw::service {
namespace {

namespace json = boost::json;
using storage::ScheduleRole;
using storage::ScheduleStatus;

// Attempts at finding a number whose aliases no hand-made conference has taken.
constexpr int kMaxAliasAttempts = 100;
constexpr std::size_t kCleanupBatch = 100;

ServiceError ScheduleNotFound(std::int64_t id) {
  return ServiceError(ErrorKind::kNotFound, std::string(problem::kNotFound), "Not found",
                      fmt::format("no scheduled conference {}", id));
}

ServiceError ScheduleClosed(const storage::Schedule& schedule) {
  return ServiceError(ErrorKind::kConflict, std::string(problem::kScheduleClosed),
                      "Schedule closed",
                      fmt::format("scheduled conference {} is {}", schedule.id,
                                  storage::ToString(schedule.status)));
}

ServiceError InvalidField(const char* field, std::string detail) {
  ServiceError error(ErrorKind::kUnprocessable, std::string(problem::kInvalidField),
                     "Invalid field", std::move(detail));
  error.WithField(field);
  return error;
}

ServiceError MissingField(const char* field) {
  ServiceError error(ErrorKind::kUnprocessable, std::string(problem::kMissingField),
                     "Missing field", fmt::format("{} is required", field));
  error.WithField(field);
  return error;
}

// One '@' with something on both sides and no whitespace or control characters: enough to catch
// mistakes; the mail server has the last word.
bool PlausibleEmail(std::string_view email) {
  if (email.empty() || email.size() > ScheduleService::kMaxEmailLength) return false;
  const std::size_t at = email.find('@');
  if (at == 0 || at == std::string_view::npos || at + 1 >= email.size()) return false;
  if (email.find('@', at + 1) != std::string_view::npos) return false;
  return std::none_of(email.begin(), email.end(),
                      [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; });
}

void ValidateParticipant(const ScheduleParticipantInput& input) {
  if (!PlausibleEmail(input.email)) {
    throw InvalidField("participants",
                       fmt::format("\"{}\" is not an email address (at most {} bytes)", input.email,
                                   ScheduleService::kMaxEmailLength));
  }
  if (input.name && input.name->size() > ScheduleService::kMaxNameLength) {
    throw InvalidField("participants", fmt::format("a participant's name is longer than {} bytes",
                                                   ScheduleService::kMaxNameLength));
  }
}

void ValidateTitle(const std::string& title) {
  if (title.size() > ScheduleService::kMaxTitleLength) {
    throw InvalidField("title", fmt::format("the title is longer than {} bytes",
                                            ScheduleService::kMaxTitleLength));
  }
}

// The end from an explicit end or a duration (at most one of them).
std::optional<storage::TimePoint> EndOf(storage::TimePoint starts_at,
                                        const std::optional<storage::TimePoint>& ends_at,
                                        const std::optional<std::int64_t>& duration_seconds) {
  if (ends_at && duration_seconds) {
    throw InvalidField("duration", "give either ends_at or duration, not both");
  }
  if (duration_seconds) {
    if (*duration_seconds < 1 || *duration_seconds > 7 * 24 * 3600) {
      throw InvalidField("duration", "the duration must be 1 second to 7 days");
    }
    return starts_at + std::chrono::seconds(*duration_seconds);
  }
  return ends_at;
}

std::string Iso8601(storage::TimePoint time) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", std::chrono::floor<std::chrono::seconds>(time));
}

std::int64_t ScheduleIdOf(const storage::Job& job) {
  try {
    json::value payload = json::parse(job.payload);
    return payload.as_object().at("schedule_id").to_number<std::int64_t>();
  } catch (const std::exception& e) {
    throw JobFailure(storage::FailureKind::kPermanent,
                     fmt::format("job {}: payload has no schedule_id: {}", job.id, e.what()));
  }
}

std::string DisplayName(const storage::ScheduleParticipant& participant) {
  if (!participant.name.empty()) return participant.name;
  return participant.email.substr(0, participant.email.find('@'));
}

bool AllDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Test-only: a crash at a named point, to prove the jobs survive it. Nothing happens unless the
// process was started with MGW_TEST_FAILPOINT naming this point.
void Failpoint(std::string_view name) {
  const char* armed = std::getenv("MGW_TEST_FAILPOINT");
  if (armed == nullptr || name != armed) return;
  spdlog::critical("failpoint {}: SIGKILL", name);
  std::fflush(nullptr);
  std::raise(SIGKILL);
}

std::string RandomPin() { return fmt::format("{:04}", randombytes_uniform(10000)); }

}  // namespace

std::vector<std::string> ScheduleAliases(const ScheduleOptions& options, std::int64_t number) {
  return {fmt::format("{}{}", options.alias_prefix, number),
          fmt::format("{}{}.{}", options.alias_prefix, number, options.alias_domain),
          fmt::format("{}", number)};
}

PinPair GeneratePinPair() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  PinPair pins{RandomPin(), RandomPin()};
  while (pins.guest == pins.host) pins.guest = RandomPin();
  return pins;
}

ScheduleService::ScheduleService(storage::Database& db, const storage::Clock& clock,
                                 storage::ScheduleStore& schedules,
                                 storage::AliasNumberStore& numbers, storage::JobStore& jobs,
                                 ConferenceService& conferences, ScheduleOptions options)
    : db_(db),
      clock_(clock),
      schedules_(schedules),
      numbers_(numbers),
      jobs_(jobs),
      conferences_(conferences),
      options_(std::move(options)) {}

ScheduleView ScheduleService::ViewOf(storage::Schedule schedule) const {
  ScheduleView view{std::move(schedule), {}, {}};
  const storage::Schedule& s = view.schedule;
  if (s.alias_number) view.aliases = ScheduleAliases(options_, *s.alias_number);
  if (s.status == ScheduleStatus::kActive && s.alias_number && s.host_pin && s.guest_pin) {
    for (const storage::ScheduleParticipant& participant : s.participants) {
      const bool host = participant.role == ScheduleRole::kHost;
      view.join_links.push_back(JoinLink({.address = options_.join_address,
                                          .alias = view.aliases[1],
                                          .name = DisplayName(participant),
                                          .bandwidth_kbps = options_.bandwidth_kbps,
                                          .pin = host ? *s.host_pin : *s.guest_pin,
                                          .role = storage::ToString(participant.role)}));
    }
  }
  return view;
}

storage::Schedule ScheduleService::RequireVisible(storage::SqlExecutor& executor,
                                                  const Caller& caller, std::int64_t id) {
  std::optional<storage::Schedule> schedule = schedules_.Find(executor, id);
  // Someone else's schedule is not found rather than forbidden: its existence is not told.
  if (!schedule || (!caller.IsAdmin() && schedule->created_by != caller.account_id)) {
    throw ScheduleNotFound(id);
  }
  return *std::move(schedule);
}

ScheduleView ScheduleService::Create(const Caller& caller, const CreateScheduleRequest& request) {
  RequireScope(caller, storage::ApiKeyScope::kWrite);
  ValidateTitle(request.title);
  if (!request.starts_at) throw MissingField("starts_at");
  std::optional<storage::TimePoint> ends_at =
      EndOf(*request.starts_at, request.ends_at, request.duration_seconds);
  if (!ends_at) throw MissingField("ends_at");
  if (*ends_at <= *request.starts_at)
    throw InvalidField("ends_at", "the end must follow the start");
  if (request.participants.empty() || request.participants.size() > kMaxParticipants) {
    throw InvalidField("participants", fmt::format("list 1 to {} participants", kMaxParticipants));
  }
  storage::NewSchedule schedule{.title = request.title,
                                .starts_at = *request.starts_at,
                                .ends_at = *ends_at,
                                .created_by = caller.account_id,
                                .participants = {}};
  std::set<std::string> emails;
  for (const ScheduleParticipantInput& input : request.participants) {
    if (input.id) throw InvalidField("participants", "a new participant has no id");
    ValidateParticipant(input);
    if (!emails.insert(input.email).second) {
      throw InvalidField("participants", fmt::format("{} is listed twice", input.email));
    }
    schedule.participants.push_back({.email = input.email,
                                     .name = input.name.value_or(""),
                                     .role = input.role.value_or(ScheduleRole::kGuest)});
  }
  return ViewOf(storage::InTransaction(db_, [&](storage::Transaction& tx) {
    storage::Schedule created = schedules_.Create(tx, schedule);
    jobs_.Enqueue(tx, {.kind = std::string(kScheduleCreateJobKind),
                       .payload = json::serialize(json::object{{"schedule_id", created.id}})});
    return created;
  }));
}

ScheduleView ScheduleService::Get(const Caller& caller, std::int64_t id) {
  RequireScope(caller, storage::ApiKeyScope::kRead);
  return ViewOf(RequireVisible(db_, caller, id));
}

Page<ScheduleView> ScheduleService::List(const Caller& caller, const PageRequest& page) {
  RequireScope(caller, storage::ApiKeyScope::kRead);
  std::optional<std::int64_t> creator;
  if (!caller.IsAdmin()) creator = caller.account_id;
  storage::SchedulePage rows = schedules_.List(creator, page.limit, page.offset);
  Page<ScheduleView> result{{}, rows.total, page.limit, page.offset};
  for (storage::Schedule& schedule : rows.items)
    result.items.push_back(ViewOf(std::move(schedule)));
  return result;
}

ScheduleView ScheduleService::Update(const Caller& caller, std::int64_t id,
                                     const UpdateScheduleRequest& request) {
  RequireScope(caller, storage::ApiKeyScope::kWrite);
  if (request.title) ValidateTitle(*request.title);
  for (const ScheduleParticipantInput& input : request.participants) {
    ValidateParticipant(input);
    if (input.id && (input.name || input.role)) {
      throw InvalidField("participants", "only the email of a listed participant can change");
    }
  }
  try {
    return ViewOf(storage::InTransaction(db_, [&](storage::Transaction& tx) {
      if (!schedules_.Lock(tx, id)) throw ScheduleNotFound(id);
      const storage::Schedule schedule = RequireVisible(tx, caller, id);
      if (schedule.status != ScheduleStatus::kPending &&
          schedule.status != ScheduleStatus::kActive) {
        throw ScheduleClosed(schedule);
      }
      bool notify = false;
      if (request.title) schedules_.SetTitle(tx, id, *request.title);

      const storage::TimePoint starts_at = request.starts_at.value_or(schedule.starts_at);
      std::optional<storage::TimePoint> ends_at =
          EndOf(starts_at, request.ends_at, request.duration_seconds);
      if (!ends_at) ends_at = starts_at + (schedule.ends_at - schedule.starts_at);  // moved
      if (*ends_at <= starts_at) throw InvalidField("ends_at", "the end must follow the start");
      if (starts_at != schedule.starts_at || *ends_at != schedule.ends_at) {
        schedules_.SetTimes(tx, id, starts_at, *ends_at);
        schedules_.ResetInvitations(tx, id);  // everyone hears of the new time
        notify = true;
      }

      std::set<std::string> emails;
      for (const storage::ScheduleParticipant& participant : schedule.participants) {
        emails.insert(participant.email);
      }
      for (const ScheduleParticipantInput& input : request.participants) {
        if (input.id) {
          auto it = std::find_if(
              schedule.participants.begin(), schedule.participants.end(),
              [&](const storage::ScheduleParticipant& p) { return p.id == *input.id; });
          if (it == schedule.participants.end()) {
            throw InvalidField("participants",
                               fmt::format("no participant {} in this schedule", *input.id));
          }
          if (it->email == input.email) continue;
          if (!emails.insert(input.email).second) {
            throw InvalidField("participants", fmt::format("{} is listed twice", input.email));
          }
          // Only this participant is owed a message: the invitation, at the new address.
          notify |= schedules_.SetParticipantEmail(tx, id, *input.id, input.email);
        } else {
          if (schedule.participants.size() + 1 > kMaxParticipants) {
            throw InvalidField("participants",
                               fmt::format("at most {} participants", kMaxParticipants));
          }
          if (!emails.insert(input.email).second) {
            throw InvalidField("participants", fmt::format("{} is listed twice", input.email));
          }
          schedules_.AddParticipant(tx, id,
                                    {.email = input.email,
                                     .name = input.name.value_or(""),
                                     .role = input.role.value_or(ScheduleRole::kGuest)});
          notify = true;
        }
      }
      // A pending schedule's messages go out with its creation job.
      if (notify && schedule.status == ScheduleStatus::kActive) EnqueueNotify(tx, id);
      return *schedules_.Find(tx, id);
    }));
  } catch (const storage::StorageError& e) {
    // Two requests adding the same email raced past the check above.
    if (e.kind() != storage::StorageErrorKind::kUniqueViolation) throw;
    throw InvalidField("participants", "an email is listed twice");
  }
}

ScheduleView ScheduleService::Cancel(const Caller& caller, std::int64_t id) {
  RequireScope(caller, storage::ApiKeyScope::kWrite);
  return ViewOf(storage::InTransaction(db_, [&](storage::Transaction& tx) {
    if (!schedules_.Lock(tx, id)) throw ScheduleNotFound(id);
    const storage::Schedule schedule = RequireVisible(tx, caller, id);
    if (schedule.status != ScheduleStatus::kPending && schedule.status != ScheduleStatus::kActive) {
      throw ScheduleClosed(schedule);
    }
    schedules_.Transition(tx, id, schedule.status, ScheduleStatus::kCancelled);
    if (schedule.status == ScheduleStatus::kActive) {
      schedules_.ResetInvitations(tx, id);
      EnqueueNotify(tx, id);
    }
    return *schedules_.Find(tx, id);
  }));
}

void ScheduleService::EnqueueNotify(storage::SqlExecutor& tx, std::int64_t schedule_id) {
  jobs_.Enqueue(tx, {.kind = std::string(kScheduleNotifyJobKind),
                     .payload = json::serialize(json::object{{"schedule_id", schedule_id}})});
}

void ScheduleService::EnqueueOwedMessages(storage::SqlExecutor& tx,
                                          const storage::Schedule& schedule) {
  const bool cancelled = schedule.status == ScheduleStatus::kCancelled;
  if (!cancelled && schedule.status != ScheduleStatus::kActive) return;
  const ScheduleView view = ViewOf(schedule);
  for (std::size_t i = 0; i < schedule.participants.size(); ++i) {
    const storage::ScheduleParticipant& participant = schedule.participants[i];
    if (participant.invitation_sent) continue;
    // Whoever was never told of the conference is not told that it is off.
    if (cancelled && participant.notices_sent == 0) continue;
    const std::string_view event = cancelled                       ? kCancelledEvent
                                   : participant.notices_sent == 0 ? kInvitationEvent
                                                                   : kUpdatedEvent;
    const std::string role(storage::ToString(participant.role));
    const std::string when =
        fmt::format("{} to {} (UTC)", Iso8601(schedule.starts_at), Iso8601(schedule.ends_at));
    json::object body{{"event", event},
                      {"schedule_id", schedule.id},
                      {"title", schedule.title},
                      {"status", storage::ToString(schedule.status)},
                      {"starts_at", Iso8601(schedule.starts_at)},
                      {"ends_at", Iso8601(schedule.ends_at)},
                      {"participant",
                       {{"id", participant.id},
                        {"email", participant.email},
                        {"name", DisplayName(participant)},
                        {"role", role}}}};
    std::string text;
    if (cancelled) {
      text = fmt::format("The conference \"{}\" on {} has been cancelled.\n", schedule.title, when);
    } else {
      const std::string& link = view.join_links.at(i);
      const std::string& pin =
          participant.role == ScheduleRole::kHost ? *schedule.host_pin : *schedule.guest_pin;
      body["conference"] = view.aliases[1];
      body["pin"] = pin;
      body["join_link"] = link;
      text = fmt::format("{} \"{}\", {}.\n\nJoin as {}: {}\nConference: {} (dial {})\nPIN: {}\n",
                         event == kInvitationEvent ? "You are invited to the conference"
                                                   : "The time of the conference has changed:",
                         schedule.title, when, role, link, view.aliases[1], view.aliases[2], pin);
    }
    if (!options_.invitation_webhook_url.empty()) {
      EnqueueWebhook(tx, jobs_, options_.invitation_webhook_url, std::string(event), body);
    }
    if (options_.invitation_email) {
      const char* subject = cancelled                   ? "Cancelled"
                            : event == kInvitationEvent ? "Invitation"
                                                        : "Updated";
      EnqueueEmail(
          tx, jobs_, participant.email,
          fmt::format("{}: {}", subject, schedule.title.empty() ? "conference" : schedule.title),
          text);
    }
    schedules_.MarkInvitationSent(tx, participant.id);
  }
}

void ScheduleService::RunCreate(const storage::Job& job) {
  const std::int64_t id = ScheduleIdOf(job);
  const bool committed = storage::InTransaction(db_, [&](storage::Transaction& tx) {
    if (!schedules_.Lock(tx, id)) return false;  // deleted since: nothing to do
    storage::Schedule schedule = *schedules_.Find(tx, id);
    // Done by an earlier attempt whose completion was lost, or cancelled before it ran.
    if (schedule.status != ScheduleStatus::kPending) return false;

    storage::ScheduleConference made;
    if (std::optional<Conference> existing =
            conferences_.FindByName(tx, schedule.conference_name)) {
      // A creation that committed without marking the schedule: adopt its conference.
      auto numeric = std::find_if(existing->aliases.begin(), existing->aliases.end(),
                                  [](const ConferenceAlias& a) { return AllDigits(a.alias); });
      if (numeric == existing->aliases.end()) {
        throw JobFailure(
            storage::FailureKind::kPermanent,
            fmt::format("conference {} exists without a numeric alias", schedule.conference_name));
      }
      made = {.conference_id = existing->id,
              .alias_number = std::stoll(numeric->alias),
              .host_pin = existing->pin,
              .guest_pin = existing->guest_pin};
      spdlog::info("schedule {}: adopted existing conference {}", id, existing->name);
    } else {
      std::optional<std::int64_t> number;
      for (int attempt = 0; attempt < kMaxAliasAttempts && !number; ++attempt) {
        number = numbers_.Allocate(tx, options_.alias_range, options_.alias_quarantine, id);
        if (!number) break;
        for (const std::string& alias : ScheduleAliases(options_, *number)) {
          if (conferences_.FindByAlias(tx, alias)) {
            // Taken by a conference made by hand: this number stays quarantined, try the next.
            numbers_.Release(tx, *number);
            number.reset();
            break;
          }
        }
      }
      if (!number) {
        throw JobFailure(storage::FailureKind::kTransient,
                         fmt::format("no free alias number in {}..{}", options_.alias_range.first,
                                     options_.alias_range.last));
      }
      const PinPair pins = GeneratePinPair();
      json::array aliases;
      for (const std::string& alias : ScheduleAliases(options_, *number)) {
        aliases.push_back(json::object{{"alias", alias}, {"description", ""}});
      }
      const json::object fields{
          {"name", schedule.conference_name},
          {"description", schedule.title.substr(0, ConferenceService::kMaxDescriptionLength)},
          {"aliases", std::move(aliases)},
          {"pin", pins.host},
          {"guest_pin", pins.guest},
          {"allow_guests", true},
          {"tag", "schedule"}};
      Conference conference;
      try {
        conference = conferences_.Create(tx, fields);
      } catch (const ConferenceValidationError& e) {
        // Another attempt would be refused the same way: make it visible in the dead letters.
        throw JobFailure(
            storage::FailureKind::kPermanent,
            fmt::format("conference {} refused: {}", schedule.conference_name, e.detail()));
      }
      made = {.conference_id = conference.id,
              .alias_number = *number,
              .host_pin = pins.host,
              .guest_pin = pins.guest};
    }
    schedules_.Activate(tx, id, made);
    EnqueueOwedMessages(tx, *schedules_.Find(tx, id));
    return true;
  });
  if (committed) Failpoint(kCreateCommittedFailpoint);
}

void ScheduleService::RunNotify(const storage::Job& job) {
  const std::int64_t id = ScheduleIdOf(job);
  storage::InTransaction(db_, [&](storage::Transaction& tx) {
    if (!schedules_.Lock(tx, id)) return;
    EnqueueOwedMessages(tx, *schedules_.Find(tx, id));
  });
}

void ScheduleService::RunCleanup(const storage::Job& /*job*/) {
  const storage::TimePoint now = clock_.Now();
  for (;;) {
    const std::vector<std::int64_t> due = schedules_.DueForCleanup(db_, now, kCleanupBatch);
    std::size_t cleaned = 0;
    for (std::int64_t id : due) {
      cleaned += storage::InTransaction(db_, [&](storage::Transaction& tx) {
        if (!schedules_.Lock(tx, id)) return false;
        const storage::Schedule schedule = *schedules_.Find(tx, id);
        if (schedule.conference_deleted || !schedule.conference_id) return false;
        if (schedule.status == ScheduleStatus::kPending) return false;
        if (schedule.status == ScheduleStatus::kActive) {
          if (schedule.ends_at > now) return false;
          schedules_.Transition(tx, id, ScheduleStatus::kActive, ScheduleStatus::kCompleted);
        }
        conferences_.Delete(tx, *schedule.conference_id);  // false: someone deleted it by hand
        schedules_.MarkConferenceDeleted(tx, id);
        if (schedule.alias_number) numbers_.Release(tx, *schedule.alias_number);
        return true;
      });
    }
    if (due.size() < kCleanupBatch || cleaned == 0) break;
  }
  // The next run, unless one is already queued: a retry of this run must not add a second.
  const std::string kind(kScheduleCleanupJobKind);
  if (jobs_.Count({.state = storage::JobState::kPending, .kind = kind}) == 0) {
    jobs_.Enqueue({.kind = kind, .payload = "{}", .run_at = now + options_.cleanup_interval});
  }
}

void ScheduleService::EnsureCleanupScheduled() {
  const std::string kind(kScheduleCleanupJobKind);
  if (jobs_.Count({.state = storage::JobState::kPending, .kind = kind}) > 0 ||
      jobs_.Count({.state = storage::JobState::kRunning, .kind = kind}) > 0) {
    return;
  }
  jobs_.Enqueue({.kind = kind, .payload = "{}"});
}

void ScheduleService::RegisterJobs(JobRunner& runner) {
  runner.Register(std::string(kScheduleCreateJobKind),
                  [this](const storage::Job& job) { RunCreate(job); });
  runner.Register(std::string(kScheduleNotifyJobKind),
                  [this](const storage::Job& job) { RunNotify(job); });
  runner.Register(std::string(kScheduleCleanupJobKind),
                  [this](const storage::Job& job) { RunCleanup(job); });
}

}  // namespace mgw::service
