#pragma once

// AWS Signature Version 4 (header signing and presigned URLs), written against the published
// algorithm and checked against AWS's test vectors, because S3 test servers do not verify
// signatures and a wrong one only shows up against the real service.

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace mgw::rec {

struct AwsCredentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // optional (temporary credentials)
};

struct SigV4Scope {
  std::string region = "us-east-1";
  std::string service = "s3";
};

struct SigV4Request {
  std::string method;
  std::string path = "/";                                    // as sent: already URI-encoded
  std::vector<std::pair<std::string, std::string>> query;    // decoded names and values
  std::vector<std::pair<std::string, std::string>> headers;  // must include host
  std::string payload_sha256;  // hex of the body's SHA-256, or "UNSIGNED-PAYLOAD"
};

using SystemTime = std::chrono::system_clock::time_point;

// "20150830T123600Z"
std::string AmzDate(SystemTime time);

// RFC 3986 unreserved characters stay, everything else is %XX (uppercase); with
// `keep_slash` a '/' stays too (object keys in paths).
std::string UriEncode(std::string_view text, bool keep_slash);

std::string Sha256Hex(std::span<const uint8_t> data);
inline std::string Sha256Hex(std::string_view text) {
  return Sha256Hex({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
}

// The steps, exposed so tests can compare each with the published intermediate values.
std::string CanonicalRequest(const SigV4Request& request, std::string* signed_headers);
std::string StringToSign(const std::string& canonical_request, const std::string& amz_date,
                         const SigV4Scope& scope);
std::string SignatureHex(const std::string& secret_key, const std::string& date,
                         const SigV4Scope& scope, const std::string& string_to_sign);

// The Authorization header value for `request`, which must already carry x-amz-date (and
// x-amz-content-sha256 for S3) among its headers.
std::string AuthorizationHeader(const SigV4Request& request, const AwsCredentials& credentials,
                                const SigV4Scope& scope, const std::string& amz_date);

// Adds host-independent signing headers (x-amz-date, x-amz-content-sha256, the session token)
// and the Authorization header to `request.headers`.
void SignRequest(SigV4Request& request, const AwsCredentials& credentials, const SigV4Scope& scope,
                 SystemTime now);

// A presigned URL: `base_url` is scheme://host[:port] and `path` the encoded path; the URL is
// valid for `expires` (1 s to 7 days) from `now`, for `method` only.
std::string PresignUrl(const std::string& base_url, const std::string& host,
                       const std::string& path, const AwsCredentials& credentials,
                       const SigV4Scope& scope, SystemTime now, std::chrono::seconds expires,
                       const std::string& method = "GET");

}  // namespace mgw::rec
