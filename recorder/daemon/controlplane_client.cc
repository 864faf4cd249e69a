#include "controlplane_client.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <boost/json.hpp>
#include <memory>
#include <stdexcept>

namespace mgw::rec {
namespace json = boost::json;
namespace {

size_t Append(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

std::optional<std::string> OptionalString(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string(v->as_string());
}

}  // namespace

std::pair<long, std::string> ControlplaneClient::Post(const std::string& path,
                                                      const json::object& body) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) throw ControlplaneError(0, "curl_easy_init failed");
  const std::string url = base_url_ + path;
  const std::string text = json::serialize(body);
  const std::string authorization = "Authorization: Bearer " + secret_.Reveal();
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  headers = curl_slist_append(headers, authorization.c_str());
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(headers,
                                                                          curl_slist_free_all);
  std::string response;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, text.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(text.size()));
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  const CURLcode code = curl_easy_perform(curl.get());
  if (code != CURLE_OK) {
    throw ControlplaneError(0, fmt::format("POST {}: {}", url, curl_easy_strerror(code)));
  }
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  return {status, std::move(response)};
}

void ControlplaneClient::PostExpecting200(const std::string& path, const json::object& body) {
  auto [status, response] = Post(path, body);
  if (status != 200) {
    throw ControlplaneError(status, fmt::format("POST {}: {} {}", path, status, response));
  }
}

std::optional<Claim> ControlplaneClient::ClaimNext(const std::string& recorder) {
  auto [status, response] = Post("/recordings/claim", {{"recorder", recorder}});
  if (status == 204) return std::nullopt;
  if (status != 200) {
    throw ControlplaneError(status, fmt::format("POST /recordings/claim: {} {}", status, response));
  }
  try {
    const json::object body = json::parse(response).as_object();
    const json::object& r = body.at("recording").as_object();
    Claim claim;
    claim.recording_id = r.at("id").to_number<int64_t>();
    claim.claims = r.at("claims").to_number<int>();
    claim.meeting_id = std::string(r.at("meeting_id").as_string());
    claim.state = std::string(r.at("state").as_string());
    claim.file_name = OptionalString(r, "file_name");
    claim.token = std::string(body.at("token").as_string());
    claim.resumed = body.at("resumed").as_bool();
    claim.meeting_active = body.at("meeting_active").as_bool();
    return claim;
  } catch (const std::exception& e) {
    throw ControlplaneError(status,
                            fmt::format("POST /recordings/claim: bad answer: {}", e.what()));
  }
}

void ControlplaneClient::Progress(const Claim& claim, const std::string& state,
                                  const std::optional<std::string>& file_name) {
  json::object body{{"claims", claim.claims}, {"state", state}};
  if (file_name) body["file_name"] = *file_name;
  PostExpecting200(fmt::format("/recordings/{}/progress", claim.recording_id), body);
}

void ControlplaneClient::Complete(const Claim& claim, const Completion& c) {
  json::object body{
      {"claims", claim.claims}, {"location", c.location},     {"link", c.link},
      {"sha256", c.sha256},     {"size_bytes", c.size_bytes}, {"duration_ms", c.duration_ms},
      {"manifest", c.manifest}};
  if (c.link_expires_in_s > 0) body["link_expires_in"] = c.link_expires_in_s;
  if (!c.segments.empty()) {
    json::array segments;
    for (const Completion& s : c.segments) {
      segments.push_back(json::object{{"file_name", s.file_name},
                                      {"location", s.location},
                                      {"link", s.link},
                                      {"sha256", s.sha256},
                                      {"size_bytes", s.size_bytes},
                                      {"duration_ms", s.duration_ms}});
    }
    body["segments"] = std::move(segments);
  }
  PostExpecting200(fmt::format("/recordings/{}/complete", claim.recording_id), body);
}

void ControlplaneClient::Fail(const Claim& claim, const std::string& error) {
  PostExpecting200(fmt::format("/recordings/{}/fail", claim.recording_id),
                   {{"claims", claim.claims}, {"error", error}});
}

}  // namespace mgw::rec
