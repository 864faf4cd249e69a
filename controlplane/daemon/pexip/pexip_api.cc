#include "pexip/pexip_api.h"

#include <fmt/format.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <array>
#include <boost/json.hpp>
#include <charconv>

#include "api/problem_response.h"
#include "api/query_params.h"
#include "mgw/service/conference_service.h"
#include "mgw/service/room_service.h"
#include "mgw/service/service_error.h"
#include "mgw/storage/storage_error.h"

namespace mgw::controlplane {
namespace {

namespace json = boost::json;
using service::ErrorKind;
using service::ServiceError;

constexpr std::string_view kPrefix = "/api/admin/";
constexpr const char* kConferences = "/api/admin/configuration/v1/conference/";
constexpr const char* kConference = "/api/admin/configuration/v1/conference/{id}/";
constexpr const char* kAliases = "/api/admin/configuration/v1/conference_alias/";
constexpr const char* kAlias = "/api/admin/configuration/v1/conference_alias/{id}/";
// The status API (read only): running conferences and their participants, from the database.
constexpr const char* kConferenceStatuses = "/api/admin/status/v1/conference/";
constexpr const char* kConferenceStatus = "/api/admin/status/v1/conference/{id}/";
constexpr const char* kParticipantStatuses = "/api/admin/status/v1/participant/";
constexpr const char* kParticipantStatus = "/api/admin/status/v1/participant/{id}/";

// Tastypie's paging: 20 by default; limit=0 asks for as many as allowed.
constexpr std::int64_t kDefaultLimit = 20;
constexpr std::int64_t kMaxLimit = 1000;

// Methods Pexip's API has on a route and mgw does not implement: 501, not 405.
struct NotImplemented {
  const char* pattern;
  std::vector<std::string_view> methods;
};
const std::vector<NotImplemented>& NotImplementedMethods() {
  static const std::vector<NotImplemented> table = {
      {kConferences, {"PUT", "DELETE"}},
      {kConference, {"PUT"}},
      {kAliases, {"PUT", "PATCH", "DELETE"}},
      {kAlias, {"PUT"}},
  };
  return table;
}

http::Response JsonResponse(int status, const json::object& body) {
  return http::Response::Json(status, json::serialize(body));
}

http::Response Empty(int status) { return http::Response{status, "application/json", {}, ""}; }

ServiceError NotFound(std::string_view detail) {
  return ServiceError(ErrorKind::kNotFound, std::string(service::problem::kNotFound), "Not found",
                      std::string(detail));
}

std::int64_t PathId(const std::string& text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0) {
    throw NotFound(fmt::format("no resource with id \"{}\"", text));
  }
  return value;
}

// Django decodes query values: %XX, and '+' for a space.
std::string Decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out.push_back(' ');
    } else if (text[i] == '%' && i + 2 < text.size()) {
      unsigned value = 0;
      auto [end, ec] = std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
      if (ec != std::errc() || end != text.data() + i + 3) {
        throw ServiceError(ErrorKind::kInvalidRequest, std::string(service::problem::kInvalidQuery),
                           "Invalid query", "a bad percent-escape in the query string");
      }
      out.push_back(static_cast<char>(value));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// Bodies are JSON. Pexip's own examples send JSON without a Content-Type (Python requests'
// data=) or with curl -d's form type, so both are read as JSON too.
bool ReadableContentType(const http::Request& request) {
  auto type = request.Header("content-type");
  if (!type) return true;
  std::string media(type->substr(0, type->find(';')));
  for (char& c : media) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!media.empty() && media.back() == ' ') media.pop_back();
  return media == "application/json" || media == "application/x-www-form-urlencoded";
}

// The body of a POST or PATCH: a JSON object.
json::object BodyObject(const http::Request& request) {
  boost::system::error_code ec;
  json::value value = json::parse(request.body, ec);
  if (ec) {
    throw ServiceError(ErrorKind::kInvalidRequest, std::string(service::problem::kMalformedJson),
                       "Malformed JSON", fmt::format("the body is not JSON: {}", ec.message()));
  }
  if (!value.is_object()) {
    throw ServiceError(ErrorKind::kInvalidRequest, std::string(service::problem::kMalformedJson),
                       "Malformed JSON", "the body must be a JSON object");
  }
  return std::move(value.get_object());
}

// Pexip's error body: {"<resource>": {"<field>": ["message", ...]}}, with the index of the object
// at fault in a bulk request.
http::Response ValidationResponse(const service::ConferenceValidationError& error) {
  json::object fields;
  for (const auto& [field, messages] : error.errors()) {
    json::array list;
    for (const std::string& message : messages) list.emplace_back(message);
    fields[field] = std::move(list);
  }
  json::object body{{error.resource(), std::move(fields)}};
  if (error.object_index()) body["object_index"] = *error.object_index();
  return JsonResponse(400, body);
}

struct ListQuery {
  service::PageRequest page;
  std::string filters;  // the filter parameters as sent, for meta.next / meta.previous
};

ListQuery ReadListQuery(const QueryParams& query, std::initializer_list<std::string_view> filters) {
  ListQuery list;
  std::int64_t limit = query.Int("limit", 0, kMaxLimit).value_or(kDefaultLimit);
  if (limit == 0) limit = kMaxLimit;
  list.page.limit = static_cast<std::size_t>(limit);
  list.page.offset = static_cast<std::size_t>(query.Int("offset", 0, INT64_MAX).value_or(0));
  for (std::string_view name : filters) {
    if (auto value = query.String(name)) list.filters += fmt::format("{}={}&", name, *value);
  }
  return list;
}

json::object Meta(std::string_view path, const ListQuery& list, std::int64_t total) {
  const auto limit = static_cast<std::int64_t>(list.page.limit);
  const auto offset = static_cast<std::int64_t>(list.page.offset);
  auto link = [&](std::int64_t at) {
    return json::value(fmt::format("{}?{}limit={}&offset={}", path, list.filters, limit, at));
  };
  return {{"limit", limit},
          {"next", offset + limit < total ? link(offset + limit) : json::value(nullptr)},
          {"offset", offset},
          {"previous",
           offset > 0 ? link(std::max<std::int64_t>(0, offset - limit)) : json::value(nullptr)},
          {"total_count", total}};
}

std::array<unsigned char, crypto_hash_sha256_BYTES> Sha256(std::string_view text) {
  std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
  crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(text.data()),
                     text.size());
  return digest;
}

// Compares digests, so the time taken says nothing about where the strings differ.
bool SameSecret(std::string_view a, std::string_view b) {
  auto da = Sha256(a);
  auto db = Sha256(b);
  return sodium_memcmp(da.data(), db.data(), da.size()) == 0;
}

ServiceError BadBasic(std::string detail) {
  return ServiceError(ErrorKind::kUnauthenticated,
                      std::string(service::problem::kInvalidCredentials), "Invalid credentials",
                      std::move(detail));
}

}  // namespace

PexipApi::PexipApi(service::Services& services, PexipApiOptions options)
    : services_(services), options_(std::move(options)) {
  while (!options_.public_url.empty() && options_.public_url.back() == '/') {
    options_.public_url.pop_back();
  }
  AddRoutes();
}

std::string PexipApi::Absolute(const std::string& resource_uri) const {
  return options_.public_url + resource_uri;
}

void PexipApi::AddRoutes() {
  service::ConferenceService& conferences = services_.conferences;

  router_.Add("GET", kConferences, [&conferences](Context& c) {
    QueryParams query(c.request.query, {"limit", "offset", "name", "tag", "name__startswith",
                                        "name__icontains", "format"});
    ListQuery list = ReadListQuery(query, {"name", "tag", "name__startswith", "name__icontains"});
    service::ConferenceFilter filter;
    if (auto v = query.String("name")) filter.name = Decode(*v);
    if (auto v = query.String("tag")) filter.tag = Decode(*v);
    if (auto v = query.String("name__startswith")) filter.name_startswith = Decode(*v);
    if (auto v = query.String("name__icontains")) filter.name_icontains = Decode(*v);
    service::Page<service::Conference> page = conferences.List(c.caller, filter, list.page);
    json::array objects;
    for (const service::Conference& conference : page.items) {
      objects.push_back(service::ConferenceToPexipJson(conference));
    }
    return JsonResponse(
        200, {{"meta", Meta(kConferences, list, page.total)}, {"objects", std::move(objects)}});
  });
  router_.Add("POST", kConferences, [this, &conferences](Context& c) {
    QueryParams(c.request.query, {"format"});
    service::Conference created = conferences.Create(c.caller, BodyObject(c.request));
    http::Response response = Empty(201);
    response.headers.emplace_back("location", Absolute(service::ConferenceResourceUri(created.id)));
    return response;
  });
  // Bulk create and update, all or nothing: {"objects": [...]}, an object with resource_uri (or
  // id) updates that conference, one without creates one.
  router_.Add("PATCH", kConferences, [&conferences](Context& c) {
    QueryParams(c.request.query, {"format"});
    json::object body = BodyObject(c.request);
    const json::value* objects = body.if_contains("objects");
    for (const auto& [key, value] : body) {
      if (key != "objects") {
        throw service::ConferenceValidationError(
            "conference", {{std::string(key), {"Unknown field; send {\"objects\": [...]}."}}});
      }
    }
    if (!objects || !objects->is_array()) {
      throw service::ConferenceValidationError(
          "conference", {{"objects", {"A list of conference objects is required."}}});
    }
    conferences.Bulk(c.caller, objects->get_array());
    return Empty(202);
  });
  router_.Add("GET", kConference, [&conferences](Context& c) {
    QueryParams(c.request.query, {"format"});
    const std::int64_t id = PathId(c.params[0]);
    std::optional<service::Conference> conference = conferences.Find(c.caller, id);
    if (!conference) throw NotFound(fmt::format("no conference {}", id));
    return JsonResponse(200, service::ConferenceToPexipJson(*conference));
  });
  router_.Add("PATCH", kConference, [&conferences](Context& c) {
    QueryParams(c.request.query, {"format"});
    conferences.Update(c.caller, PathId(c.params[0]), BodyObject(c.request));
    return Empty(202);
  });
  router_.Add("DELETE", kConference, [&conferences](Context& c) {
    QueryParams(c.request.query, {"format"});
    const std::int64_t id = PathId(c.params[0]);
    if (!conferences.Delete(c.caller, id)) throw NotFound(fmt::format("no conference {}", id));
    return Empty(204);
  });

  router_.Add("GET", kAliases, [&conferences](Context& c) {
    QueryParams query(c.request.query, {"limit", "offset", "alias", "conference", "format"});
    ListQuery list = ReadListQuery(query, {"alias", "conference"});
    std::optional<std::int64_t> conference_id;
    if (auto v = query.String("conference")) {
      std::string text = Decode(*v);
      std::string_view id = text;
      if (id.starts_with(kConferences)) id.remove_prefix(std::string_view(kConferences).size());
      if (id.ends_with('/')) id.remove_suffix(1);
      conference_id = PathId(std::string(id));
    }
    std::optional<std::string> alias;
    if (auto v = query.String("alias")) alias = Decode(*v);
    service::Page<service::ConferenceAlias> page =
        conferences.ListAliases(c.caller, conference_id, alias, list.page);
    json::array objects;
    for (const service::ConferenceAlias& item : page.items) {
      objects.push_back(service::ConferenceAliasToPexipJson(item));
    }
    return JsonResponse(
        200, {{"meta", Meta(kAliases, list, page.total)}, {"objects", std::move(objects)}});
  });
  router_.Add("POST", kAliases, [this, &conferences](Context& c) {
    QueryParams(c.request.query, {"format"});
    service::ConferenceAlias created = conferences.CreateAlias(c.caller, BodyObject(c.request));
    http::Response response = Empty(201);
    response.headers.emplace_back("location",
                                  Absolute(service::ConferenceAliasResourceUri(created.id)));
    return response;
  });
  router_.Add("GET", kAlias, [&conferences](Context& c) {
    QueryParams(c.request.query, {"format"});
    const std::int64_t id = PathId(c.params[0]);
    std::optional<service::ConferenceAlias> alias = conferences.FindAlias(c.caller, id);
    if (!alias) throw NotFound(fmt::format("no conference alias {}", id));
    return JsonResponse(200, service::ConferenceAliasToPexipJson(*alias));
  });
  router_.Add("PATCH", kAlias, [&conferences](Context& c) {
    QueryParams(c.request.query, {"format"});
    conferences.UpdateAlias(c.caller, PathId(c.params[0]), BodyObject(c.request));
    return Empty(202);
  });
  router_.Add("DELETE", kAlias, [&conferences](Context& c) {
    QueryParams(c.request.query, {"format"});
    const std::int64_t id = PathId(c.params[0]);
    if (!conferences.DeleteAlias(c.caller, id)) {
      throw NotFound(fmt::format("no conference alias {}", id));
    }
    return Empty(204);
  });

  // The status API: one page of what runs now (a few conferences per deployment: paged here).
  service::RoomService& rooms = services_.rooms;
  auto page_of = [](std::vector<json::object> all, const ListQuery& list, const char* path) {
    json::array objects;
    for (std::size_t i = list.page.offset; i < all.size() && objects.size() < list.page.limit;
         ++i) {
      objects.push_back(std::move(all[i]));
    }
    return JsonResponse(200, {{"meta", Meta(path, list, static_cast<std::int64_t>(all.size()))},
                              {"objects", std::move(objects)}});
  };
  router_.Add("GET", kConferenceStatuses, [&rooms, page_of](Context& c) {
    QueryParams query(c.request.query, {"limit", "offset", "name", "format"});
    ListQuery list = ReadListQuery(query, {"name"});
    std::optional<std::string> name;
    if (auto v = query.String("name")) name = Decode(*v);
    std::vector<json::object> all;
    for (const service::ConferenceStatus& status : rooms.ConferenceStatuses(c.caller, {})) {
      if (!name || status.live.name == *name) {
        all.push_back(service::ConferenceStatusToPexipJson(status));
      }
    }
    return page_of(std::move(all), list, kConferenceStatuses);
  });
  router_.Add("GET", kConferenceStatus, [&rooms](Context& c) {
    QueryParams(c.request.query, {"format"});
    std::vector<service::ConferenceStatus> found =
        rooms.ConferenceStatuses(c.caller, Decode(c.params[0]));
    if (found.empty()) throw NotFound(fmt::format("no running conference {}", c.params[0]));
    return JsonResponse(200, service::ConferenceStatusToPexipJson(found.front()));
  });
  router_.Add("GET", kParticipantStatuses, [&rooms, page_of](Context& c) {
    QueryParams query(c.request.query, {"limit", "offset", "conference", "format"});
    ListQuery list = ReadListQuery(query, {"conference"});
    std::optional<std::string> conference;
    if (auto v = query.String("conference")) conference = Decode(*v);
    std::vector<json::object> all;
    for (const service::ParticipantStatus& status : rooms.ParticipantStatuses(c.caller, {})) {
      if (!conference || status.live.conference_name == *conference) {
        all.push_back(service::ParticipantStatusToPexipJson(status));
      }
    }
    return page_of(std::move(all), list, kParticipantStatuses);
  });
  router_.Add("GET", kParticipantStatus, [&rooms](Context& c) {
    QueryParams(c.request.query, {"format"});
    const std::int64_t id = PathId(c.params[0]);
    std::vector<service::ParticipantStatus> found = rooms.ParticipantStatuses(c.caller, id);
    if (found.empty()) throw NotFound(fmt::format("no connected participant {}", id));
    return JsonResponse(200, service::ParticipantStatusToPexipJson(found.front()));
  });
}

service::Caller PexipApi::Authenticate(const http::Request& request) const {
  std::optional<std::string_view> authorization = request.Header("authorization");
  constexpr std::string_view kBasic = "basic ";
  if (!authorization || authorization->size() < kBasic.size()) {
    return services_.authenticator.Authenticate(authorization);
  }
  std::string scheme(authorization->substr(0, kBasic.size()));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != kBasic) return services_.authenticator.Authenticate(authorization);
  if (options_.username.empty()) {
    throw BadBasic("HTTP Basic is not enabled on this deployment (pexip.username)");
  }
  std::string_view encoded = authorization->substr(kBasic.size());
  while (!encoded.empty() && encoded.front() == ' ') encoded.remove_prefix(1);
  std::string decoded(encoded.size(), '\0');
  std::size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(),
                        encoded.data(), encoded.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    throw BadBasic("the Basic credentials are not base64");
  }
  decoded.resize(length);
  const std::size_t colon = decoded.find(':');
  if (colon == std::string::npos) throw BadBasic("the Basic credentials are not user:password");
  // Guessing is limited per source address (the login limiter's windows), so a guesser elsewhere
  // cannot lock the deployment's control system out.
  const std::string source = "pexip-basic:" + request.remote_address;
  services_.limiter.Check(source, request.remote_address);
  const bool user_ok = SameSecret(decoded.substr(0, colon), options_.username);
  const bool password_ok = SameSecret(decoded.substr(colon + 1), options_.password.Reveal());
  if (!user_ok || !password_ok) {
    services_.limiter.RecordFailure(source, request.remote_address);
    throw BadBasic("wrong user name or password");
  }
  // The deployment's Pexip credentials stand for its administrator, as on a Management Node.
  return service::Caller{.account_id = 0,
                         .email = options_.username,
                         .role = storage::Role::kAdmin,
                         .scope = storage::ApiKeyScope::kAdmin,
                         .token_id = std::nullopt,
                         .api_key_id = std::nullopt};
}

std::optional<std::string> PexipApi::RouteOf(const http::Request& request) const {
  if (!request.path.starts_with(kPrefix)) return std::nullopt;
  auto match = router_.Find(request.method, request.path);
  if (!match) return std::string("/api/admin/unmatched");
  return match->pattern;
}

std::optional<http::Response> PexipApi::Handle(const http::Request& request) const {
  if (!request.path.starts_with(kPrefix)) return std::nullopt;
  try {
    return Dispatch(request);
  } catch (const service::ConferenceValidationError& e) {
    return ValidationResponse(e);
  } catch (const ServiceError& e) {
    http::Response response = ProblemResponse(e);
    if (response.status == 401 && !options_.username.empty()) {
      response.headers.emplace_back("www-authenticate", "Basic realm=\"mgw\"");
    }
    return response;
  } catch (const storage::StorageError& e) {
    if (e.kind() == storage::StorageErrorKind::kUnavailable ||
        e.kind() == storage::StorageErrorKind::kConflict) {
      spdlog::warn("pexip api: {} {}: database: {}", request.method, request.path, e.what());
      http::Response response =
          ProblemResponse(503, service::problem::kUnavailable, "Service unavailable",
                          "the database is unavailable or busy; retry");
      response.headers.emplace_back("retry-after", "1");
      return response;
    }
    spdlog::error("pexip api: {} {}: database: {}", request.method, request.path, e.what());
    return ProblemResponse(500, "/problems/internal", "Internal server error", "");
  }
}

http::Response PexipApi::Dispatch(const http::Request& request) const {
  auto match = router_.Find(request.method, request.path);
  if (!match) {
    std::string detail = fmt::format("no resource at {}", request.path);
    if (!request.path.ends_with('/')) detail += " (Pexip's API paths end in '/')";
    return ProblemResponse(404, service::problem::kNotFound, "Not found", detail);
  }
  if (!match->route) {
    for (const NotImplemented& entry : NotImplementedMethods()) {
      if (match->pattern != entry.pattern) continue;
      for (std::string_view method : entry.methods) {
        if (method == request.method) {
          return ProblemResponse(
              501, "/problems/not-implemented", "Not implemented",
              fmt::format("mgw does not implement {} on {}", request.method, match->pattern));
        }
      }
    }
    http::Response response =
        ProblemResponse(405, "/problems/method-not-allowed", "Method not allowed",
                        fmt::format("{} accepts {}", match->pattern, match->allow));
    response.headers.emplace_back("allow", match->allow);
    return response;
  }
  if (!request.body.empty() && !ReadableContentType(request)) {
    return ProblemResponse(415, "/problems/unsupported-media-type", "Unsupported media type",
                           "send the body as application/json");
  }
  Context context{request, match->params, Authenticate(request)};
  if (limiter_ != nullptr) {
    // The same buckets as HttpApi's ("account:<id>"); the Basic credentials are one caller.
    const std::string key = context.caller.token_id || context.caller.api_key_id
                                ? "account:" + std::to_string(context.caller.account_id)
                                : "pexip-basic";
    if (std::optional<std::int64_t> wait = limiter_->Acquire(key)) {
      throw ServiceError(service::ErrorKind::kRateLimited,
                         std::string(service::problem::kRateLimited), "Too many requests",
                         "this caller's request rate is over the limit; retry later")
          .WithRetryAfter(*wait);
    }
  }
  return match->route->handler(context);
}

}  // namespace mgw::controlplane
