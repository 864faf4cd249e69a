#include "mgw/service/notifications.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <sodium.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <utility>

#include "mgw/storage/clock.h"
#include "mgw/storage/storage_error.h"

namespace mgw::service {
namespace {

using storage::FailureKind;

void EnsureCurlInitialized() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlHandle = std::unique_ptr<CURL, CurlDeleter>;
using CurlList = std::unique_ptr<curl_slist, SlistDeleter>;

void Append(CurlList& list, const std::string& line) {
  curl_slist* grown = curl_slist_append(list.get(), line.c_str());
  if (!grown) throw std::bad_alloc();
  (void)list.release();
  list.reset(grown);
}

CurlHandle NewCurl() {
  EnsureCurlInitialized();
  CurlHandle curl(curl_easy_init());
  if (!curl) throw JobFailure(FailureKind::kTransient, "curl_easy_init failed");
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  return curl;
}

// Keeps the first bytes of a response body for the job's last_error.
size_t CollectPrefix(char* data, size_t size, size_t count, void* user) {
  auto* out = static_cast<std::string*>(user);
  const size_t bytes = size * count;
  constexpr size_t kKeep = 200;
  if (out->size() < kKeep) out->append(data, std::min(bytes, kKeep - out->size()));
  return bytes;
}

struct UploadSource {
  std::string_view data;
  size_t offset = 0;
};

size_t ReadUpload(char* buffer, size_t size, size_t count, void* user) {
  auto* source = static_cast<UploadSource*>(user);
  const size_t n = std::min(size * count, source->data.size() - source->offset);
  std::memcpy(buffer, source->data.data() + source->offset, n);
  source->offset += n;
  return n;
}

// Errors that another attempt cannot fix: the request itself is wrong.
bool IsPermanentCurlError(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_LOGIN_DENIED:
      return true;
    default:
      return false;
  }
}

std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text) out.push_back(c >= 0x20 && c != 0x7f ? c : ' ');
  return out;
}

const boost::json::object& PayloadObject(const storage::Job& job, boost::json::value& holder) {
  boost::system::error_code ec;
  holder = boost::json::parse(job.payload, ec);
  if (ec || !holder.is_object()) {
    throw JobFailure(FailureKind::kPermanent, "payload is not a JSON object");
  }
  return holder.as_object();
}

std::string RequireString(const boost::json::object& payload, std::string_view key) {
  const boost::json::value* value = payload.if_contains(key);
  if (!value || !value->is_string() || value->as_string().empty()) {
    throw JobFailure(FailureKind::kPermanent, fmt::format("payload needs a string \"{}\"", key));
  }
  return std::string(value->as_string());
}

bool HasLineBreak(std::string_view text) {
  return text.find_first_of("\r\n") != std::string_view::npos;
}

std::string Base64(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

// RFC 2047 encoded-word when the text is not plain printable ASCII.
std::string HeaderText(std::string_view text) {
  const bool plain = std::all_of(text.begin(), text.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f;
  });
  if (plain) return std::string(text);
  return "=?UTF-8?B?" + Base64(text) + "?=";
}

std::string Rfc5322Date(storage::TimePoint when) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(
      std::chrono::time_point_cast<std::chrono::system_clock::duration>(when));
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S +0000", &utc);
  return buffer;
}

std::string DomainOf(std::string_view address) {
  const size_t at = address.rfind('@');
  std::string domain(at == std::string_view::npos ? std::string_view("mgw.invalid")
                                                  : address.substr(at + 1));
  std::erase_if(domain, [](char c) { return c == '>' || c == ' '; });
  return domain.empty() ? "mgw.invalid" : domain;
}

// An address for the SMTP envelope: "Name <a@b>" → "<a@b>", "a@b" → "<a@b>".
std::string EnvelopeAddress(std::string_view address) {
  const size_t open = address.rfind('<');
  if (open != std::string_view::npos) return std::string(address.substr(open));
  return "<" + std::string(address) + ">";
}

// Wraps base64 at 76 columns with CRLF, as RFC 2045 asks.
std::string WrapLines(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); i += 76) {
    out.append(text.substr(i, 76));
    out.append("\r\n");
  }
  return out;
}

void DeliverWebhook(const storage::Job& job, const NotificationOptions& options) {
  boost::json::value holder;
  const boost::json::object& payload = PayloadObject(job, holder);
  const std::string url = RequireString(payload, "url");
  const std::string event = RequireString(payload, "event");
  const boost::json::value* body_value = payload.if_contains("body");
  const std::string body = boost::json::serialize(body_value ? *body_value : boost::json::value());
  if (HasLineBreak(event)) throw JobFailure(FailureKind::kPermanent, "event has a line break");

  const std::string timestamp =
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count());
  CurlList headers;
  Append(headers, "Content-Type: application/json");
  Append(headers, "X-Mgw-Event: " + event);
  Append(headers, fmt::format("X-Mgw-Delivery: {}", job.id));
  Append(headers, "X-Mgw-Timestamp: " + timestamp);
  if (!options.webhook_secret.empty()) {
    Append(headers,
           "X-Mgw-Signature: " + WebhookSignature(options.webhook_secret, timestamp, body));
  }
  Append(headers, "Expect:");  // no 100-continue round trip

  CurlHandle curl = NewCurl();
  std::string response;
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_USERAGENT, options.user_agent.c_str());
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options.webhook_timeout.count()));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.webhook_connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, CollectPrefix);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &response);

  const CURLcode code = curl_easy_perform(c);
  if (code != CURLE_OK) {
    throw JobFailure(IsPermanentCurlError(code) ? FailureKind::kPermanent : FailureKind::kTransient,
                     fmt::format("POST {}: {}", url, curl_easy_strerror(code)));
  }
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 200 && status < 300) return;
  const bool transient = status == 408 || status == 429 || status >= 500;
  throw JobFailure(transient ? FailureKind::kTransient : FailureKind::kPermanent,
                   fmt::format("POST {}: HTTP {}: {}", url, status, Printable(response)));
}

std::string BuildEmail(const storage::Job& job, const NotificationOptions& options,
                       const std::string& to, const std::string& subject, const std::string& text) {
  // Normalise line ends to CRLF before encoding, so the decoded text is what was asked for.
  std::string crlf;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) crlf.push_back('\r');
    crlf.push_back(text[i]);
  }
  std::string message;
  message += "Date: " + Rfc5322Date(job.created_at) + "\r\n";
  message += "From: " + options.smtp_from + "\r\n";
  message += "To: " + to + "\r\n";
  message += fmt::format("Message-ID: <mgw-job-{}.{}@{}>\r\n", job.id,
                         storage::ToUnixMillis(job.created_at), DomainOf(options.smtp_from));
  message += "Subject: " + HeaderText(subject) + "\r\n";
  message += "MIME-Version: 1.0\r\n";
  message += "Content-Type: text/plain; charset=utf-8\r\n";
  message += "Content-Transfer-Encoding: base64\r\n";
  message += fmt::format("X-Mgw-Delivery: {}\r\n", job.id);
  message += "\r\n";
  message += WrapLines(Base64(crlf));
  return message;
}

void SendEmail(const storage::Job& job, const NotificationOptions& options) {
  if (options.smtp_url.empty()) {
    throw JobFailure(FailureKind::kPermanent,
                     "email is disabled: notifications.smtp.url is not configured");
  }
  if (options.smtp_from.empty()) {
    throw JobFailure(FailureKind::kPermanent,
                     "email is disabled: notifications.smtp.from is not configured");
  }
  boost::json::value holder;
  const boost::json::object& payload = PayloadObject(job, holder);
  const std::string to = RequireString(payload, "to");
  const std::string subject = RequireString(payload, "subject");
  const boost::json::value* text_value = payload.if_contains("text");
  if (!text_value || !text_value->is_string()) {
    throw JobFailure(FailureKind::kPermanent, "payload needs a string \"text\"");
  }
  if (HasLineBreak(to) || HasLineBreak(subject)) {
    throw JobFailure(FailureKind::kPermanent, "recipient and subject must be one line");
  }
  const std::string message =
      BuildEmail(job, options, to, subject, std::string(text_value->as_string()));

  CurlList recipients;
  Append(recipients, EnvelopeAddress(to));
  const std::string from = EnvelopeAddress(options.smtp_from);
  UploadSource source{.data = message};

  CurlHandle curl = NewCurl();
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, options.smtp_url.c_str());
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients.get());
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadUpload);
  curl_easy_setopt(c, CURLOPT_READDATA, &source);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options.smtp_timeout.count()));
  if (options.smtp_starttls)
    curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!options.smtp_ca_file.empty())
    curl_easy_setopt(c, CURLOPT_CAINFO, options.smtp_ca_file.c_str());
  if (!options.smtp_username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, options.smtp_username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, options.smtp_password.Reveal().c_str());
  }

  const CURLcode code = curl_easy_perform(c);
  if (code == CURLE_OK) return;
  long reply = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
  // SMTP 5xx replies are permanent (unknown mailbox, refused sender); 4xx and network errors
  // are worth another attempt.
  const bool permanent = IsPermanentCurlError(code) || (reply >= 500 && reply < 600);
  throw JobFailure(
      permanent ? FailureKind::kPermanent : FailureKind::kTransient,
      fmt::format("SMTP to {}: {} (last reply {})", to, curl_easy_strerror(code), reply));
}

}  // namespace

std::string WebhookSignature(const Secret& secret, std::string_view timestamp,
                             std::string_view body) {
  const std::string& key = secret.Reveal();
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key.data()),
                              key.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(timestamp.data()),
                                timestamp.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>("."), 1);
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(body.data()),
                                body.size());
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&state, mac);
  char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return std::string("sha256=") + hex;
}

storage::Job EnqueueWebhook(storage::SqlExecutor& executor, storage::JobStore& jobs,
                            std::string url, std::string event, boost::json::value body) {
  if (url.empty() || event.empty() || HasLineBreak(event)) {
    throw storage::StorageError(storage::StorageErrorKind::kInvalidArgument,
                                "a webhook needs a URL and a one-line event name");
  }
  boost::json::object payload{{"url", std::move(url)}, {"event", std::move(event)}};
  payload["body"] = std::move(body);
  return jobs.Enqueue(
      executor, {.kind = std::string(kWebhookJobKind), .payload = boost::json::serialize(payload)});
}

storage::Job EnqueueEmail(storage::SqlExecutor& executor, storage::JobStore& jobs, std::string to,
                          std::string subject, std::string text) {
  if (to.empty() || subject.empty() || HasLineBreak(to) || HasLineBreak(subject)) {
    throw storage::StorageError(storage::StorageErrorKind::kInvalidArgument,
                                "an email needs a recipient and a subject, each on one line");
  }
  boost::json::object payload{
      {"to", std::move(to)}, {"subject", std::move(subject)}, {"text", std::move(text)}};
  return jobs.Enqueue(
      executor, {.kind = std::string(kEmailJobKind), .payload = boost::json::serialize(payload)});
}

void RegisterNotificationHandlers(JobRunner& runner, const NotificationOptions& options) {
  runner.Register(std::string(kWebhookJobKind),
                  [options](const storage::Job& job) { DeliverWebhook(job, options); });
  runner.Register(std::string(kEmailJobKind),
                  [options](const storage::Job& job) { SendEmail(job, options); });
}

}  // namespace mgw::service
