#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <string>
#include <string_view>

#include "mgw/common/secret.h"
#include "mgw/service/job_runner.h"
#include "mgw/storage/database.h"
#include "mgw/storage/job_store.h"

// Outbound notifications as durable jobs (see api/webhooks.md for what a receiver sees):
//  - "webhook.deliver", payload {"url": "...", "event": "...", "body": <any JSON>}: an HTTP POST
//    of `body` (application/json) signed with HMAC-SHA256. 2xx completes the job; 408, 429, 5xx
//    and network errors are transient (retried with backoff); any other status is permanent.
//  - "email.send", payload {"to": "...", "subject": "...", "text": "..."}: one plain-text
//    RFC 5322 message over SMTP (smtp:// or smtps://, STARTTLS and AUTH when configured). Its
//    Message-ID and Date derive from the job id and creation time, so a re-send after a crash is
//    recognisably the same message. With no SMTP URL configured, the job fails permanently.
// Services enqueue them inside their own transactions (the outbox pattern), so a notification
// goes out if and only if the change that caused it committed.
namespace mgw::service {

inline constexpr std::string_view kWebhookJobKind = "webhook.deliver";
inline constexpr std::string_view kEmailJobKind = "email.send";

struct NotificationOptions {
  Secret webhook_secret;  // HMAC key of X-Mgw-Signature; empty: the header is omitted
  std::chrono::milliseconds webhook_timeout{10000};         // whole request
  std::chrono::milliseconds webhook_connect_timeout{5000};  // TCP (and TLS) connect
  std::string user_agent = "mgw-controlplane";

  std::string smtp_url;       // smtp://host:port or smtps://host:port; empty disables email
  std::string smtp_username;  // AUTH when set
  Secret smtp_password;
  std::string smtp_from;       // envelope sender and From: address
  bool smtp_starttls = false;  // smtp:// only: require STARTTLS before MAIL FROM
  std::string smtp_ca_file;    // PEM CAs that verify the server (TLS); empty: the system's
  std::chrono::milliseconds smtp_timeout{30000};
};

// Enqueue through `executor` (a Transaction for the outbox pattern). kInvalidArgument
// (storage::StorageError) for an empty url/event or recipient.
storage::Job EnqueueWebhook(storage::SqlExecutor& executor, storage::JobStore& jobs,
                            std::string url, std::string event, boost::json::value body);
storage::Job EnqueueEmail(storage::SqlExecutor& executor, storage::JobStore& jobs, std::string to,
                          std::string subject, std::string text);

// Registers the "webhook.deliver" and "email.send" handlers. Call before runner.Start().
void RegisterNotificationHandlers(JobRunner& runner, const NotificationOptions& options);

// The pieces a receiver (or a test) needs to check a delivery.
// "sha256=" + lowercase hex HMAC-SHA256(secret, timestamp + "." + body).
std::string WebhookSignature(const Secret& secret, std::string_view timestamp,
                             std::string_view body);

}  // namespace mgw::service
