#include "http_api.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <chrono>

#include "api_json.h"
#include "json_body.h"
#include "mgw/service/job_service.h"
#include "mgw/service/service_error.h"
#include "mgw/storage/storage_error.h"
#include "problem_response.h"
#include "query_params.h"
#include "schedule_json.h"

namespace mgw::controlplane {
namespace {

using service::ErrorKind;
using service::ServiceError;

http::Response Json(int status, const boost::json::object& body) {
  return http::Response::Json(status, boost::json::serialize(body));
}

http::Response NoContent() { return http::Response{204, "application/json", {}, ""}; }

// Numeric path ids: anything else names nothing.
std::int64_t PathId(const std::string& text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0) {
    throw ServiceError(ErrorKind::kNotFound, std::string(service::problem::kNotFound), "Not found",
                       fmt::format("no resource with id \"{}\"", text));
  }
  return value;
}

// Routes without a request body still refuse one that says something.
void RequireEmptyBody(const http::Request& request) {
  JsonBody::Parse(request.body).RejectUnknownFields();
}

bool IsJsonContentType(std::string_view type) {
  size_t semi = type.find(';');
  std::string_view media = type.substr(0, semi);
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  std::string lower(media);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "application/json";
}

std::optional<storage::ApiKeyScope> ParseScope(const std::optional<std::string>& text) {
  if (!text) return storage::ApiKeyScope::kRead;
  if (auto scope = storage::ParseApiKeyScope(*text)) return scope;
  throw ServiceError(ErrorKind::kUnprocessable, std::string(service::problem::kInvalidField),
                     "Invalid field", "scope must be read, write or admin")
      .WithField("scope");
}

// A recording as GET /recordings/{recording_id} returns it (api/openapi.yaml, Recording).
boost::json::object RecordingJson(const storage::RecordingRow& r) {
  boost::json::object out{{"id", r.id},
                          {"meeting_id", r.meeting_id},
                          {"state", storage::ToString(r.state)},
                          {"claims", r.claims},
                          {"created_at", api_json::Time(r.created_at)},
                          {"updated_at", api_json::Time(r.updated_at)}};
  auto put = [&out](const char* name, const auto& value) {
    if (value) out[name] = *value;
  };
  put("recorder", r.recorder);
  put("file_name", r.file_name);
  put("location", r.location);
  put("link", r.link);
  put("sha256", r.sha256);
  put("size_bytes", r.size_bytes);
  put("duration_ms", r.duration_ms);
  put("error", r.error);
  if (r.lease_expires_at) out["lease_expires_at"] = api_json::Time(*r.lease_expires_at);
  if (r.link_expires_at) out["link_expires_at"] = api_json::Time(*r.link_expires_at);
  if (r.completed_at) out["completed_at"] = api_json::Time(*r.completed_at);
  if (r.manifest) {
    boost::system::error_code ec;
    boost::json::value manifest = boost::json::parse(*r.manifest, ec);
    if (!ec) out["manifest"] = std::move(manifest);
  }
  if (r.segments) {
    boost::system::error_code ec;
    boost::json::value segments = boost::json::parse(*r.segments, ec);
    if (!ec && segments.is_array()) out["segments"] = std::move(segments);
  }
  return out;
}

// The `segments` of POST /recordings/{id}/complete, checked and kept as JSON text: every file of
// the recording with its location, link, SHA-256, size and duration.
std::string SegmentsText(const boost::json::array& segments) {
  auto invalid = [](const std::string& detail) {
    return ServiceError(ErrorKind::kUnprocessable, std::string(service::problem::kInvalidField),
                        "Invalid field", detail)
        .WithField("segments");
  };
  if (segments.empty()) throw invalid("segments must list at least one file");
  boost::json::array out;
  for (const boost::json::value& item : segments) {
    const boost::json::object* o = item.if_object();
    if (o == nullptr) throw invalid("each segment must be an object");
    boost::json::object segment;
    for (const char* name : {"file_name", "location", "link", "sha256"}) {
      const boost::json::value* v = o->if_contains(name);
      if (v == nullptr || !v->is_string() || v->as_string().empty()) {
        throw invalid(fmt::format("each segment needs a non-empty string \"{}\"", name));
      }
      segment[name] = *v;
    }
    if (segment["sha256"].as_string().size() != 64) {
      throw invalid("each segment's sha256 must have 64 hex digits");
    }
    for (const char* name : {"size_bytes", "duration_ms"}) {
      const boost::json::value* v = o->if_contains(name);
      if (v == nullptr || !v->is_int64() || v->as_int64() < 0) {
        throw invalid(fmt::format("each segment needs a non-negative integer \"{}\"", name));
      }
      segment[name] = *v;
    }
    out.push_back(std::move(segment));
  }
  return boost::json::serialize(out);
}

int ClaimOf(JsonBody& body) {
  return static_cast<int>(std::clamp<std::int64_t>(*body.Int("claims", true), 0, INT32_MAX));
}

// A durable job as GET /jobs/{job_id} returns it (api/openapi.yaml, Job).
boost::json::object JobJson(const storage::Job& job) {
  boost::json::object out{{"id", job.id},
                          {"kind", job.kind},
                          {"state", storage::ToString(job.state)},
                          {"attempts", job.attempts},
                          {"max_attempts", job.max_attempts},
                          {"next_run_at", api_json::Time(job.next_run_at)},
                          {"created_at", api_json::Time(job.created_at)},
                          {"updated_at", api_json::Time(job.updated_at)}};
  boost::system::error_code ec;
  boost::json::value payload = boost::json::parse(job.payload, ec);
  out["payload"] = ec ? boost::json::value(job.payload) : std::move(payload);
  if (job.lease_expires_at) out["lease_expires_at"] = api_json::Time(*job.lease_expires_at);
  if (job.last_error) out["last_error"] = *job.last_error;
  return out;
}

}  // namespace

HttpApi::HttpApi(service::Services& services)
    : services_(services),
      idempotency_store_(services.db, services.clock),
      idempotency_(idempotency_store_) {
  AddRoutes();
}

void HttpApi::Add(std::string method, std::string pattern, bool authenticated,
                  std::function<http::Response(Context&)> run) {
  router_.Add(std::move(method), std::move(pattern), Handler{authenticated, std::move(run)});
}

void HttpApi::AddRoutes() {
  auto& s = services_;
  constexpr bool kPublic = false;
  constexpr bool kAuthenticated = true;

  // --- accounts and tokens ---
  Add("POST", "/account", kPublic, [&s](Context& c) {
    JsonBody body = JsonBody::Parse(c.request.body);
    service::SignUpRequest request{.email = *body.String("email", true),
                                   .password = *body.String("password", true),
                                   .role = storage::Role::kUser};
    if (auto role = body.String("role")) {
      auto parsed = storage::ParseRole(*role);
      if (!parsed) {
        throw ServiceError(ErrorKind::kUnprocessable, std::string(service::problem::kInvalidField),
                           "Invalid field", "role must be admin or user")
            .WithField("role");
      }
      request.role = *parsed;
    }
    body.RejectUnknownFields();
    // Sign-up is public; an administrator's credentials, when sent, allow creating an admin.
    std::optional<service::Caller> creator;
    if (auto authorization = c.request.Header("authorization")) {
      creator = s.authenticator.Authenticate(authorization);
    }
    storage::Account account = s.accounts.SignUp(request, creator ? &*creator : nullptr);
    http::Response response = Json(201, api_json::Account(account));
    response.headers.emplace_back("location", "/account");
    return response;
  });
  Add("POST", "/account/login", kPublic, [&s](Context& c) {
    JsonBody body = JsonBody::Parse(c.request.body);
    service::LoginRequest request{.email = *body.String("email", true),
                                  .password = *body.String("password", true),
                                  .expires_in_seconds = body.Int("expires_in"),
                                  .source_address = c.request.remote_address};
    body.RejectUnknownFields();
    service::LoginResult result = s.accounts.Login(request);
    return Json(200, {{"token", result.token},
                      {"token_type", "Bearer"},
                      {"token_id", result.record.id},
                      {"expires_at", api_json::Time(result.record.expires_at)}});
  });
  Add("GET", "/account", kAuthenticated, [&s](Context& c) {
    QueryParams(c.request.query, {});
    return Json(200, api_json::Account(s.accounts.Me(*c.caller)));
  });
  Add("DELETE", "/account", kAuthenticated, [&s](Context& c) {
    QueryParams(c.request.query, {});
    RequireEmptyBody(c.request);
    s.accounts.DeleteAccount(*c.caller);
    return NoContent();
  });
  Add("GET", "/account/tokens", kAuthenticated, [&s](Context& c) {
    QueryParams query(c.request.query, {"limit", "offset"});
    auto page = s.accounts.ListTokens(*c.caller, query.Page());
    const std::optional<std::int64_t> current = c.caller->token_id;
    return Json(200, api_json::PageOf(page, [&](const storage::AccessToken& token) {
                  return api_json::Token(token, current && *current == token.id);
                }));
  });
  Add("DELETE", "/account/tokens/{token_id}", kAuthenticated, [&s](Context& c) {
    QueryParams(c.request.query, {});
    RequireEmptyBody(c.request);
    s.accounts.RevokeToken(*c.caller, PathId(c.params[0]));
    return NoContent();
  });

  // --- API keys ---
  Add("POST", "/account/api-keys", kAuthenticated, [&s](Context& c) {
    JsonBody body = JsonBody::Parse(c.request.body);
    service::CreateApiKeyRequest request{.name = *body.String("name", true),
                                         .scope = *ParseScope(body.String("scope")),
                                         .account_id = body.Int("account_id"),
                                         .expires_in_seconds = body.Int("expires_in")};
    body.RejectUnknownFields();
    service::CreatedApiKey created = s.api_keys.Create(*c.caller, request);
    boost::json::object json = api_json::ApiKey(created.record);
    json["key"] = created.key;
    return Json(201, json);
  });
  Add("GET", "/account/api-keys", kAuthenticated, [&s](Context& c) {
    QueryParams query(c.request.query, {"limit", "offset", "account_id"});
    auto page = s.api_keys.List(*c.caller, query.Int("account_id", 1, INT64_MAX), query.Page());
    return Json(200, api_json::PageOf(page, api_json::ApiKey));
  });
  Add("DELETE", "/account/api-keys/{key_id}", kAuthenticated, [&s](Context& c) {
    QueryParams(c.request.query, {});
    RequireEmptyBody(c.request);
    s.api_keys.Revoke(*c.caller, PathId(c.params[0]));
    return NoContent();
  });

  // --- durable jobs (administrators) ---
  Add("GET", "/jobs", kAuthenticated, [&s](Context& c) {
    QueryParams query(c.request.query, {"limit", "offset", "after_id", "state", "kind"});
    service::JobListRequest request{.state = std::nullopt,
                                    .kind = query.String("kind"),
                                    .after_id = query.Int("after_id", 0, INT64_MAX).value_or(0),
                                    .page = query.Page()};
    if (auto state = query.String("state")) {
      request.state = storage::ParseJobState(*state);
      if (!request.state) {
        throw ServiceError(ErrorKind::kInvalidRequest, std::string(service::problem::kInvalidQuery),
                           "Invalid query", "state must be pending, running, done or dead");
      }
    }
    service::JobService jobs(s.job_store);
    return Json(200, api_json::PageOf(jobs.List(*c.caller, request), JobJson));
  });
  Add("GET", "/jobs/{job_id}", kAuthenticated, [&s](Context& c) {
    QueryParams(c.request.query, {});
    service::JobService jobs(s.job_store);
    return Json(200, JobJson(jobs.Get(*c.caller, PathId(c.params[0]))));
  });
  Add("POST", "/jobs/{job_id}/retry", kAuthenticated, [&s](Context& c) {
    QueryParams(c.request.query, {});
    RequireEmptyBody(c.request);
    service::JobService jobs(s.job_store);
    return Json(200, JobJson(jobs.Retry(*c.caller, PathId(c.params[0]))));
  });

  // --- meetings ---
  Add("POST", "/meeting", kAuthenticated, [&s](Context& c) {
    JsonBody body = JsonBody::Parse(c.request.body);
    service::CreateMeetingRequest request{.title = body.String("title").value_or("")};
    body.RejectUnknownFields();
    service::MeetingView view = s.meetings.Create(*c.caller, request);
    http::Response response = Json(201, api_json::Meeting(view));
    response.headers.emplace_back("location", "/meeting/" + view.meeting.id);
    return response;
  });
  Add("GET", "/meeting", kAuthenticated, [&s](Context& c) {
    QueryParams query(c.request.query, {"limit", "offset"});
    return Json(200, api_json::PageOf(s.meetings.List(*c.caller, query.Page()), api_json::Meeting));
  });
  Add("GET", "/meeting/{meeting_id}", kAuthenticated, [&s](Context& c) {
    QueryParams(c.request.query, {});
    return Json(200, api_json::Meeting(s.meetings.Get(*c.caller, c.params[0])));
  });
  Add("DELETE", "/meeting/{meeting_id}", kAuthenticated, [this, &s](Context& c) {
    QueryParams(c.request.query, {});
    RequireEmptyBody(c.request);
    std::optional<storage::Meeting> before = s.meeting_store.Find(c.params[0]);
    s.meetings.Delete(*c.caller, c.params[0]);
    if (meeting_closed_ && before && before->state != storage::MeetingState::kEnded) {
      meeting_closed_(c.params[0], before->node_id);
    }
    return NoContent();
  });
  Add("POST", "/meeting/join", kAuthenticated, [&s](Context& c) {
    JsonBody body = JsonBody::Parse(c.request.body);
    std::string meeting_id = *body.String("meeting_id", true);
    std::optional<std::string> display_name = body.String("display_name");
    body.RejectUnknownFields();
    return Json(200,
                api_json::Meeting(s.meetings.Join(*c.caller, meeting_id, std::move(display_name))));
  });
  Add("POST", "/meeting/leave", kAuthenticated, [&s](Context& c) {
    JsonBody body = JsonBody::Parse(c.request.body);
    std::string meeting_id = *body.String("meeting_id", true);
    body.RejectUnknownFields();
    return Json(200, api_json::Meeting(s.meetings.Leave(*c.caller, meeting_id)));
  });
  Add("POST", "/meeting/end/{meeting_id}", kAuthenticated, [this, &s](Context& c) {
    RequireEmptyBody(c.request);
    service::MeetingView ended = s.meetings.End(*c.caller, c.params[0]);
    if (meeting_closed_) {
      meeting_closed_(c.params[0],
                      ended.node ? std::optional<std::string>(ended.node->id) : std::nullopt);
    }
    return Json(200, api_json::Meeting(ended));
  });
  Add("POST", "/meeting/record/{meeting_id}", kAuthenticated, [&s](Context& c) {
    RequireEmptyBody(c.request);
    service::RecordResult result = s.meetings.Record(*c.caller, c.params[0]);
    return Json(200, {{"meeting", api_json::Meeting(result.meeting)},
                      {"started", result.started},
                      {"recipient_count", result.recipient_count}});
  });
  Add("GET", "/meeting/record/recipients/{meeting_id}", kAuthenticated, [&s](Context& c) {
    QueryParams query(c.request.query, {"limit", "offset"});
    return Json(200, api_json::PageOf(s.meetings.Recipients(*c.caller, c.params[0], query.Page()),
                                      api_json::Recipient));
  });

  // --- recordings: the recorder's work queue (recorder secret), and administrators' reads ---
  Add("POST", "/recordings/claim", kPublic, [&s](Context& c) {
    s.recordings.RequireRecorder(c.request.Header("authorization"));
    JsonBody body = JsonBody::Parse(c.request.body);
    std::string recorder = *body.String("recorder", true);
    body.RejectUnknownFields();
    std::optional<service::RecordingClaim> claim = s.recordings.Claim(recorder);
    if (!claim) return NoContent();
    return Json(200, {{"recording", RecordingJson(claim->recording)},
                      {"token", claim->token},
                      {"resumed", claim->resumed},
                      {"meeting_active", claim->meeting_active}});
  });
  Add("POST", "/recordings/{recording_id}/progress", kPublic, [&s](Context& c) {
    s.recordings.RequireRecorder(c.request.Header("authorization"));
    JsonBody body = JsonBody::Parse(c.request.body);
    const int claims = ClaimOf(body);
    std::optional<storage::RecordingState> state =
        storage::ParseRecordingState(*body.String("state", true));
    std::optional<std::string> file_name = body.String("file_name");
    body.RejectUnknownFields();
    if (!state) {
      throw ServiceError(ErrorKind::kUnprocessable, std::string(service::problem::kInvalidField),
                         "Invalid field", "state must be recording or uploading")
          .WithField("state");
    }
    return Json(200, RecordingJson(s.recordings.Report(PathId(c.params[0]), claims, *state,
                                                       std::move(file_name))));
  });
  Add("POST", "/recordings/{recording_id}/complete", kPublic, [&s](Context& c) {
    s.recordings.RequireRecorder(c.request.Header("authorization"));
    JsonBody body = JsonBody::Parse(c.request.body);
    const int claims = ClaimOf(body);
    storage::RecordingResult result{.location = *body.String("location", true),
                                    .link = *body.String("link", true),
                                    .link_expires_at = std::nullopt,
                                    .sha256 = *body.String("sha256", true),
                                    .size_bytes = *body.Int("size_bytes", true),
                                    .duration_ms = *body.Int("duration_ms", true),
                                    .manifest = *body.String("manifest", true)};
    if (auto expires_in = body.Int("link_expires_in")) {
      result.link_expires_at = s.clock.Now() + std::chrono::seconds(*expires_in);
    }
    if (auto segments = body.Array("segments")) result.segments = SegmentsText(*segments);
    body.RejectUnknownFields();
    boost::system::error_code ec;
    if (!boost::json::parse(result.manifest, ec).is_object() || ec) {
      throw ServiceError(ErrorKind::kUnprocessable, std::string(service::problem::kInvalidField),
                         "Invalid field", "manifest must be a JSON object, as text")
          .WithField("manifest");
    }
    return Json(200, RecordingJson(s.recordings.Complete(PathId(c.params[0]), claims, result)));
  });
  Add("POST", "/recordings/{recording_id}/fail", kPublic, [&s](Context& c) {
    s.recordings.RequireRecorder(c.request.Header("authorization"));
    JsonBody body = JsonBody::Parse(c.request.body);
    const int claims = ClaimOf(body);
    std::string error = *body.String("error", true);
    body.RejectUnknownFields();
    return Json(200, RecordingJson(s.recordings.Fail(PathId(c.params[0]), claims, error)));
  });
  Add("GET", "/recordings", kAuthenticated, [&s](Context& c) {
    QueryParams query(c.request.query, {"limit", "before"});
    const auto limit = static_cast<std::size_t>(query.Int("limit", 1, 200).value_or(50));
    boost::json::array items;
    for (const storage::RecordingRow& r :
         s.recordings.List(*c.caller, limit, query.Int("before", 1, INT64_MAX))) {
      items.push_back(RecordingJson(r));
    }
    return Json(200, {{"items", std::move(items)}});
  });
  Add("GET", "/recordings/{recording_id}", kAuthenticated, [&s](Context& c) {
    QueryParams(c.request.query, {});
    return Json(200, RecordingJson(s.recordings.Get(*c.caller, PathId(c.params[0]))));
  });

  // --- scheduled conferences: created, notified and cleaned up by jobs ---
  Add("POST", "/schedule", kAuthenticated, [&s](Context& c) {
    service::ScheduleView view =
        s.schedules.Create(*c.caller, schedule_json::ReadCreate(c.request.body));
    http::Response response = Json(201, schedule_json::Schedule(view));
    response.headers.emplace_back("location", fmt::format("/schedule/{}", view.schedule.id));
    return response;
  });
  Add("GET", "/schedule", kAuthenticated, [&s](Context& c) {
    QueryParams query(c.request.query, {"limit", "offset"});
    return Json(
        200, api_json::PageOf(s.schedules.List(*c.caller, query.Page()), schedule_json::Schedule));
  });
  Add("GET", "/schedule/{schedule_id}", kAuthenticated, [&s](Context& c) {
    QueryParams(c.request.query, {});
    return Json(200, schedule_json::Schedule(s.schedules.Get(*c.caller, PathId(c.params[0]))));
  });
  Add("PATCH", "/schedule/{schedule_id}", kAuthenticated, [&s](Context& c) {
    QueryParams(c.request.query, {});
    service::UpdateScheduleRequest request = schedule_json::ReadUpdate(c.request.body);
    return Json(
        200, schedule_json::Schedule(s.schedules.Update(*c.caller, PathId(c.params[0]), request)));
  });
  Add("POST", "/schedule/{schedule_id}/cancel", kAuthenticated, [&s](Context& c) {
    RequireEmptyBody(c.request);
    return Json(200, schedule_json::Schedule(s.schedules.Cancel(*c.caller, PathId(c.params[0]))));
  });
}

std::optional<std::string> HttpApi::RouteOf(const http::Request& request) const {
  auto match = router_.Find(request.method, request.path);
  if (!match) return std::nullopt;
  return match->pattern;
}

std::optional<http::Response> HttpApi::Handle(const http::Request& request) const {
  auto match = router_.Find(request.method, request.path);
  if (!match) return std::nullopt;
  try {
    return Dispatch(*match, request);
  } catch (const ServiceError& e) {
    return ProblemResponse(e);
  } catch (const storage::StorageError& e) {
    if (e.kind() == storage::StorageErrorKind::kUnavailable ||
        e.kind() == storage::StorageErrorKind::kConflict) {
      spdlog::warn("http: {} {}: database: {}", request.method, match->pattern, e.what());
      http::Response response =
          ProblemResponse(503, service::problem::kUnavailable, "Service unavailable",
                          "the database is unavailable or busy; retry");
      response.headers.emplace_back("retry-after", "1");
      return response;
    }
    spdlog::error("http: {} {}: database: {}", request.method, match->pattern, e.what());
    return ProblemResponse(500, "/problems/internal", "Internal server error", "");
  }
}

void HttpApi::Throttle(const std::string& key) const {
  if (!limiter_) return;
  if (std::optional<std::int64_t> wait = limiter_->Acquire(key)) {
    throw service::ServiceError(service::ErrorKind::kRateLimited,
                                std::string(service::problem::kRateLimited), "Too many requests",
                                "this caller's request rate is over the limit; retry later")
        .WithRetryAfter(*wait);
  }
}

http::Response HttpApi::Dispatch(const Router<Handler>::Match& match,
                                 const http::Request& request) const {
  if (!match.route) {
    http::Response response =
        ProblemResponse(405, "/problems/method-not-allowed", "Method not allowed",
                        fmt::format("{} accepts {}", match.pattern, match.allow));
    response.headers.emplace_back("allow", match.allow);
    return response;
  }
  if (!request.body.empty()) {
    auto type = request.Header("content-type");
    if (!type || !IsJsonContentType(*type)) {
      return ProblemResponse(415, "/problems/unsupported-media-type", "Unsupported media type",
                             "send the body as application/json");
    }
  }
  Context context{request, match.params, std::nullopt};
  const Handler& handler = match.route->handler;
  if (!handler.authenticated) {
    Throttle("address:" + request.remote_address);
    return handler.run(context);
  }
  context.caller = services_.authenticator.Authenticate(request.Header("authorization"));
  Throttle("account:" + std::to_string(context.caller->account_id));
  auto key = request.Header("idempotency-key");
  if (request.method != "POST" || !key) return handler.run(context);
  return idempotency_.Run(context.caller->account_id, *key, request, [&] {
    try {
      return handler.run(context);
    } catch (const ServiceError& e) {
      return ProblemResponse(e);  // a refusal is a response like any other: replayed too
    }
  });
}

}  // namespace mgw::controlplane
