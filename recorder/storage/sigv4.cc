#include "mgw/rec/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <ctime>

namespace mgw::rec {

namespace {

std::string Hex(const unsigned char* data, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 0xF];
  }
  return out;
}

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &size);
  return std::string(reinterpret_cast<const char*>(out), size);
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Header values: leading and trailing spaces removed, inner runs of spaces collapsed to one.
std::string TrimValue(std::string_view value) {
  std::string out;
  bool space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string DateOf(const std::string& amz_date) { return amz_date.substr(0, 8); }

std::string CanonicalQuery(std::vector<std::pair<std::string, std::string>> query) {
  for (auto& [name, value] : query) {
    name = UriEncode(name, false);
    value = UriEncode(value, false);
  }
  std::sort(query.begin(), query.end());
  std::string out;
  for (const auto& [name, value] : query) {
    if (!out.empty()) out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

}  // namespace

std::string AmzDate(SystemTime time) {
  const std::time_t t = std::chrono::system_clock::to_time_t(time);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y%m%dT%H%M%SZ", &tm);
  return buffer;
}

std::string UriEncode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

std::string Sha256Hex(std::span<const uint8_t> data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  return Hex(digest, size);
}

std::string CanonicalRequest(const SigV4Request& request, std::string* signed_headers) {
  std::vector<std::pair<std::string, std::string>> headers;
  for (const auto& [name, value] : request.headers) {
    const std::string lower = Lower(name);
    auto it = std::find_if(headers.begin(), headers.end(),
                           [&](const auto& h) { return h.first == lower; });
    if (it != headers.end()) {
      it->second += "," + TrimValue(value);  // repeated headers join with commas
    } else {
      headers.emplace_back(lower, TrimValue(value));
    }
  }
  std::sort(headers.begin(), headers.end());
  std::string canonical_headers;
  std::string names;
  for (const auto& [name, value] : headers) {
    canonical_headers += name;
    canonical_headers += ':';
    canonical_headers += value;
    canonical_headers += '\n';
    if (!names.empty()) names += ';';
    names += name;
  }
  if (signed_headers) *signed_headers = names;
  return request.method + "\n" + (request.path.empty() ? "/" : request.path) + "\n" +
         CanonicalQuery(request.query) + "\n" + canonical_headers + "\n" + names + "\n" +
         request.payload_sha256;
}

std::string StringToSign(const std::string& canonical_request, const std::string& amz_date,
                         const SigV4Scope& scope) {
  return "AWS4-HMAC-SHA256\n" + amz_date + "\n" + DateOf(amz_date) + "/" + scope.region + "/" +
         scope.service + "/aws4_request\n" + Sha256Hex(canonical_request);
}

std::string SignatureHex(const std::string& secret_key, const std::string& date,
                         const SigV4Scope& scope, const std::string& string_to_sign) {
  const std::string k_date = Hmac("AWS4" + secret_key, date);
  const std::string k_region = Hmac(k_date, scope.region);
  const std::string k_service = Hmac(k_region, scope.service);
  const std::string k_signing = Hmac(k_service, "aws4_request");
  const std::string signature = Hmac(k_signing, string_to_sign);
  return Hex(reinterpret_cast<const unsigned char*>(signature.data()), signature.size());
}

std::string AuthorizationHeader(const SigV4Request& request, const AwsCredentials& credentials,
                                const SigV4Scope& scope, const std::string& amz_date) {
  std::string signed_headers;
  const std::string canonical = CanonicalRequest(request, &signed_headers);
  const std::string signature = SignatureHex(credentials.secret_key, DateOf(amz_date), scope,
                                             StringToSign(canonical, amz_date, scope));
  return "AWS4-HMAC-SHA256 Credential=" + credentials.access_key + "/" + DateOf(amz_date) + "/" +
         scope.region + "/" + scope.service + "/aws4_request, SignedHeaders=" + signed_headers +
         ", Signature=" + signature;
}

void SignRequest(SigV4Request& request, const AwsCredentials& credentials, const SigV4Scope& scope,
                 SystemTime now) {
  const std::string amz_date = AmzDate(now);
  request.headers.emplace_back("x-amz-date", amz_date);
  request.headers.emplace_back("x-amz-content-sha256", request.payload_sha256);
  if (!credentials.session_token.empty()) {
    request.headers.emplace_back("x-amz-security-token", credentials.session_token);
  }
  const std::string authorization = AuthorizationHeader(request, credentials, scope, amz_date);
  request.headers.emplace_back("Authorization", authorization);
}

std::string PresignUrl(const std::string& base_url, const std::string& host,
                       const std::string& path, const AwsCredentials& credentials,
                       const SigV4Scope& scope, SystemTime now, std::chrono::seconds expires,
                       const std::string& method) {
  const std::string amz_date = AmzDate(now);
  const auto seconds = std::clamp<int64_t>(expires.count(), 1, int64_t{7} * 24 * 3600);
  SigV4Request request;
  request.method = method;
  request.path = path;
  request.query = {
      {"X-Amz-Algorithm", "AWS4-HMAC-SHA256"},
      {"X-Amz-Credential", credentials.access_key + "/" + DateOf(amz_date) + "/" + scope.region +
                               "/" + scope.service + "/aws4_request"},
      {"X-Amz-Date", amz_date},
      {"X-Amz-Expires", std::to_string(seconds)},
      {"X-Amz-SignedHeaders", "host"},
  };
  if (!credentials.session_token.empty()) {
    request.query.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  request.headers = {{"host", host}};
  request.payload_sha256 = "UNSIGNED-PAYLOAD";
  const std::string canonical = CanonicalRequest(request, nullptr);
  const std::string signature = SignatureHex(credentials.secret_key, DateOf(amz_date), scope,
                                             StringToSign(canonical, amz_date, scope));
  return base_url + path + "?" + CanonicalQuery(request.query) + "&X-Amz-Signature=" + signature;
}

}  // namespace mgw::rec
