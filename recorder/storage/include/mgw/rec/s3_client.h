#pragma once

// A small S3 client over libcurl: the object and multipart calls the recorder needs, signed with
// our SigV4 signer (x-amz-content-sha256 is always sent: curl 7.88's built-in signer does not
// add it and S3 requires it). Path-style addressing (endpoint/bucket/key), which every
// S3-compatible server accepts. Blocking; one call at a time per client.

#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "mgw/rec/sigv4.h"

namespace mgw::rec {

struct S3Config {
  std::string endpoint;  // "https://s3.eu-west-1.amazonaws.com" or "http://127.0.0.1:4568"
  std::string bucket;
  SigV4Scope scope;
  AwsCredentials credentials;
  std::chrono::seconds timeout{120};
};

struct S3Response {
  bool transport_ok = false;  // false: no HTTP answer (connection refused, timeout)
  long status = 0;
  std::string body;
  std::string etag;
  std::string error;  // curl's message, or S3's <Code>

  bool ok() const { return transport_ok && status >= 200 && status < 300; }
  // Worth another try: no answer, a server error, or throttling.
  bool retryable() const { return !transport_ok || status >= 500 || status == 429; }
};

class S3Client {
 public:
  explicit S3Client(S3Config config,
                    std::function<SystemTime()> clock = &std::chrono::system_clock::now);

  S3Response PutObject(const std::string& key, std::span<const uint8_t> body,
                       const std::string& content_type);
  S3Response GetObject(const std::string& key);
  // On success `upload_id` holds the new upload's id.
  S3Response CreateMultipartUpload(const std::string& key, std::string* upload_id);
  S3Response UploadPart(const std::string& key, const std::string& upload_id, int part_number,
                        std::span<const uint8_t> body);
  // `parts`: (part number, ETag) in increasing part number.
  S3Response CompleteMultipartUpload(const std::string& key, const std::string& upload_id,
                                     const std::vector<std::pair<int, std::string>>& parts);
  S3Response AbortMultipartUpload(const std::string& key, const std::string& upload_id);

  // A time-limited GET URL for `key` (at most 7 days).
  std::string PresignGet(const std::string& key, std::chrono::seconds expires) const;

  const S3Config& config() const { return config_; }

 private:
  S3Response Send(const std::string& method, const std::string& key,
                  const std::vector<std::pair<std::string, std::string>>& query,
                  std::span<const uint8_t> body, const std::string& content_type);
  std::string Path(const std::string& key) const;

  S3Config config_;
  std::function<SystemTime()> clock_;
  std::string base_url_;  // scheme://host[:port]
  std::string host_;      // host[:port], as sent in Host
};

// The text of the first <tag>...</tag> in `xml` ("" when absent); enough for S3's replies.
std::string XmlElement(const std::string& xml, const std::string& tag);

}  // namespace mgw::rec
