#include "mgw/rec/s3_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

namespace mgw::rec {

namespace {

std::once_flag curl_once;

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  std::string line(data, size * count);
  std::string lower = line;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.rfind("etag:", 0) == 0) {
    std::string value = line.substr(5);
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of(" \t\r\n") + 1);
    *static_cast<std::string*>(user) = value;
  }
  return size * count;
}

std::string QueryString(const std::vector<std::pair<std::string, std::string>>& query) {
  auto sorted = query;
  std::sort(sorted.begin(), sorted.end());
  std::string out;
  for (const auto& [name, value] : sorted) {
    out += out.empty() ? "?" : "&";
    // "uploads=" rather than "uploads": curl 7.88's own signer needed that spelling, and the
    // canonical query string has the '=' either way.
    out += UriEncode(name, false) + "=" + UriEncode(value, false);
  }
  return out;
}

}  // namespace

std::string XmlElement(const std::string& xml, const std::string& tag) {
  const std::string open = "<" + tag + ">";
  const std::string close = "</" + tag + ">";
  const size_t start = xml.find(open);
  if (start == std::string::npos) return {};
  const size_t end = xml.find(close, start + open.size());
  if (end == std::string::npos) return {};
  return xml.substr(start + open.size(), end - start - open.size());
}

S3Client::S3Client(S3Config config, std::function<SystemTime()> clock)
    : config_(std::move(config)), clock_(std::move(clock)) {
  std::call_once(curl_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  base_url_ = config_.endpoint;
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  const size_t scheme = base_url_.find("://");
  host_ = scheme == std::string::npos ? base_url_ : base_url_.substr(scheme + 3);
  host_ = host_.substr(0, host_.find('/'));
}

std::string S3Client::Path(const std::string& key) const {
  return "/" + UriEncode(config_.bucket, false) + "/" + UriEncode(key, true);
}

S3Response S3Client::Send(const std::string& method, const std::string& key,
                          const std::vector<std::pair<std::string, std::string>>& query,
                          std::span<const uint8_t> body, const std::string& content_type) {
  S3Response response;
  SigV4Request request;
  request.method = method;
  request.path = Path(key);
  request.query = query;
  request.headers = {{"host", host_}};
  request.payload_sha256 = Sha256Hex(body);
  SignRequest(request, config_.credentials, config_.scope, clock_());

  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) {
    response.error = "curl_easy_init failed";
    return response;
  }
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    std::string line = name;
    line += ": ";
    line += value;
    headers = curl_slist_append(headers, line.c_str());
  }
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip per part
  if (!content_type.empty()) {
    headers = curl_slist_append(headers, ("Content-Type: " + content_type).c_str());
  }
  std::unique_ptr<curl_slist, void (*)(curl_slist*)> header_list(headers, &curl_slist_free_all);
  const std::string url = base_url_ + request.path + QueryString(query);
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(config_.timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &response.etag);
  if (method == "GET") {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (method == "PUT" || method == "POST") {
      curl_easy_setopt(c, CURLOPT_POSTFIELDS,
                       body.empty() ? static_cast<const void*>("") : body.data());
      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
  }
  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    response.error = curl_easy_strerror(rc);
    return response;
  }
  response.transport_ok = true;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  if (!response.ok()) {
    response.error = XmlElement(response.body, "Code");
    if (response.error.empty()) response.error = "HTTP " + std::to_string(response.status);
  }
  return response;
}

S3Response S3Client::PutObject(const std::string& key, std::span<const uint8_t> body,
                               const std::string& content_type) {
  return Send("PUT", key, {}, body, content_type);
}

S3Response S3Client::GetObject(const std::string& key) { return Send("GET", key, {}, {}, ""); }

S3Response S3Client::CreateMultipartUpload(const std::string& key, std::string* upload_id) {
  S3Response response = Send("POST", key, {{"uploads", ""}}, {}, "");
  if (response.ok()) {
    *upload_id = XmlElement(response.body, "UploadId");
    if (upload_id->empty()) {
      response.status = 502;  // a 200 without an id is a broken server: retry
      response.error = "no UploadId in the reply";
    }
  }
  return response;
}

S3Response S3Client::UploadPart(const std::string& key, const std::string& upload_id,
                                int part_number, std::span<const uint8_t> body) {
  return Send("PUT", key, {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}},
              body, "");
}

S3Response S3Client::CompleteMultipartUpload(
    const std::string& key, const std::string& upload_id,
    const std::vector<std::pair<int, std::string>>& parts) {
  std::string xml = "<CompleteMultipartUpload>";
  for (const auto& [number, etag] : parts) {
    xml += "<Part><PartNumber>" + std::to_string(number) + "</PartNumber><ETag>" + etag +
           "</ETag></Part>";
  }
  xml += "</CompleteMultipartUpload>";
  S3Response response =
      Send("POST", key, {{"uploadId", upload_id}},
           {reinterpret_cast<const uint8_t*>(xml.data()), xml.size()}, "application/xml");
  // S3 can answer 200 and put the failure in the body.
  if (response.ok() && response.body.find("<Error>") != std::string::npos) {
    response.status = 500;
    response.error = XmlElement(response.body, "Code");
  }
  return response;
}

S3Response S3Client::AbortMultipartUpload(const std::string& key, const std::string& upload_id) {
  return Send("DELETE", key, {{"uploadId", upload_id}}, {}, "");
}

std::string S3Client::PresignGet(const std::string& key, std::chrono::seconds expires) const {
  return PresignUrl(base_url_, host_, Path(key), config_.credentials, config_.scope, clock_(),
                    expires);
}

}  // namespace mgw::rec
