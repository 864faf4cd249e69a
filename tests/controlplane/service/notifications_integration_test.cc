// The webhook.deliver and email.send jobs against real servers started by the test: mgw's own
// HTTP server on port 0 as the webhook receiver, and nodemailer's smtp-server (smtp_sink.mjs,
// a node process) as the mail server. The runner is driven by RunDue() with a manual clock for
// the job table's retry times.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <boost/json.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <regex>

#include "child_process.h"
#include "mgw/common/http_server.h"
#include "mgw/service/job_runner.h"
#include "mgw/service/notifications.h"
#include "mgw/storage/job_store.h"
#include "mgw/storage/migrations.h"
#include "mgw/storage/sqlite_database.h"
#include "smtp_sink.h"
#include "temp_dir.h"
#include "test_certificate.h"
#include "webhook_receiver.h"

namespace mgw::service {
namespace {

using namespace std::chrono_literals;
using storage::Job;
using storage::JobState;

// HMAC-SHA256 with OpenSSL, independently of the libsodium code under test.
std::string ExpectedSignature(const std::string& key, const std::string& timestamp,
                              const std::string& body) {
  const std::string signed_text = timestamp + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac,
       &length);
  std::string hex = "sha256=";
  for (unsigned int i = 0; i < length; ++i) {
    static constexpr char kDigits[] = "0123456789abcdef";
    hex.push_back(kDigits[mac[i] >> 4]);
    hex.push_back(kDigits[mac[i] & 15]);
  }
  return hex;
}

using mgw::testing::WebhookReceiver;  // tests/support/webhook_receiver.h

class NotificationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = storage::OpenDatabase(dir_.File("mgw.db"));
    storage::MigrateToLatest(*db_, clock_);
    jobs_ = std::make_unique<storage::JobStore>(
        *db_, clock_,
        storage::JobStoreOptions{.max_attempts = 4,
                                 .base_backoff = 1s,
                                 .max_backoff = 60s,
                                 .jitter = 0.2,
                                 .lease = 30s,
                                 .random_unit = [] { return 0.5; }});
  }

  JobRunner& Runner(NotificationOptions options) {
    runner_ = std::make_unique<JobRunner>(*jobs_);
    RegisterNotificationHandlers(*runner_, options);
    return *runner_;
  }

  Job Reload(const Job& job) { return *jobs_->Find(job.id); }

  mgw::testing::TempDir dir_;
  storage::ManualClock clock_{storage::FromUnixMillis(1'900'000'000'000)};
  std::unique_ptr<storage::Database> db_;
  std::unique_ptr<storage::JobStore> jobs_;
  std::unique_ptr<JobRunner> runner_;
};

TEST_F(NotificationsTest, WebhookIsSignedAndCarriesItsHeaders) {
  WebhookReceiver receiver;
  JobRunner& runner = Runner({.webhook_secret = Secret("s3cret"), .webhook_timeout = 5s});
  const Job job = EnqueueWebhook(*db_, *jobs_, receiver.url(), "meeting.ended",
                                 boost::json::value{{"meeting_id", "m1"}, {"n", 2}});
  EXPECT_EQ(runner.RunDue(), 1u);
  EXPECT_EQ(Reload(job).state, JobState::kDone);

  std::vector<http::Request> requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  const http::Request& r = requests[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, "/hooks/mgw");
  EXPECT_EQ(boost::json::parse(r.body), boost::json::parse(R"({"meeting_id":"m1","n":2})"));
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.Header("x-mgw-event"), "meeting.ended");
  EXPECT_EQ(r.Header("x-mgw-delivery"), std::to_string(job.id));
  ASSERT_TRUE(r.Header("x-mgw-timestamp"));
  const std::string timestamp(*r.Header("x-mgw-timestamp"));
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  EXPECT_NEAR(static_cast<double>(std::stoll(timestamp)), static_cast<double>(now), 60);
  EXPECT_EQ(r.Header("x-mgw-signature"), ExpectedSignature("s3cret", timestamp, r.body));
  EXPECT_EQ(WebhookSignature(Secret("s3cret"), timestamp, r.body),
            ExpectedSignature("s3cret", timestamp, r.body));
  // The signature covers the body: another body (or secret) gives another signature.
  EXPECT_NE(r.Header("x-mgw-signature"), ExpectedSignature("s3cret", timestamp, r.body + " "));
  EXPECT_NE(r.Header("x-mgw-signature"), ExpectedSignature("other", timestamp, r.body));
}

TEST_F(NotificationsTest, WebhookWithoutASecretIsUnsigned) {
  WebhookReceiver receiver;
  JobRunner& runner = Runner({});
  EnqueueWebhook(*db_, *jobs_, receiver.url(), "e", boost::json::value(nullptr));
  EXPECT_EQ(runner.RunDue(), 1u);
  std::vector<http::Request> requests = receiver.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_FALSE(requests[0].Header("x-mgw-signature"));
  EXPECT_EQ(requests[0].body, "null");
}

TEST_F(NotificationsTest, WebhookRetriesOn503ThenSucceedsWithTheSameDeliveryId) {
  WebhookReceiver receiver;
  receiver.Script({503, 429});
  JobRunner& runner = Runner({.webhook_secret = Secret("k")});
  const Job job = EnqueueWebhook(*db_, *jobs_, receiver.url(), "e", boost::json::value{{"a", 1}});

  EXPECT_EQ(runner.RunDue(), 1u);
  Job stored = Reload(job);
  EXPECT_EQ(stored.state, JobState::kPending);
  ASSERT_TRUE(stored.last_error);
  EXPECT_NE(stored.last_error->find("HTTP 503"), std::string::npos) << *stored.last_error;
  EXPECT_EQ(stored.next_run_at, clock_.Now() + 1s);

  EXPECT_EQ(runner.RunDue(), 0u);  // waits for its backoff
  clock_.Advance(1s);
  EXPECT_EQ(runner.RunDue(), 1u);  // 429: transient too
  EXPECT_EQ(Reload(job).state, JobState::kPending);
  clock_.Advance(2s);
  EXPECT_EQ(runner.RunDue(), 1u);
  EXPECT_EQ(Reload(job).state, JobState::kDone);

  std::vector<http::Request> requests = receiver.requests();
  ASSERT_EQ(requests.size(), 3u);
  for (const http::Request& r : requests) {
    EXPECT_EQ(r.Header("x-mgw-delivery"), std::to_string(job.id));  // receivers dedupe on it
  }
}

TEST_F(NotificationsTest, WebhookClientErrorIsPermanent) {
  WebhookReceiver receiver;
  receiver.Script({400});
  JobRunner& runner = Runner({});
  const Job job = EnqueueWebhook(*db_, *jobs_, receiver.url(), "e", boost::json::value{});
  EXPECT_EQ(runner.RunDue(), 1u);
  const Job stored = Reload(job);
  EXPECT_EQ(stored.state, JobState::kDead);
  EXPECT_EQ(stored.attempts, 1);
  ASSERT_TRUE(stored.last_error);
  EXPECT_NE(stored.last_error->find("HTTP 400"), std::string::npos) << *stored.last_error;
  EXPECT_NE(stored.last_error->find("answer 400"), std::string::npos) << *stored.last_error;
  clock_.Advance(1h);
  EXPECT_EQ(runner.RunDue(), 0u);
  EXPECT_EQ(receiver.requests().size(), 1u);
}

TEST_F(NotificationsTest, WebhookToAClosedPortIsRetried) {
  std::string url;
  {
    WebhookReceiver gone;  // a port that was just free: nothing listens once it is stopped
    url = gone.url();
  }
  JobRunner& runner = Runner({.webhook_timeout = 2s});
  const Job job = EnqueueWebhook(*db_, *jobs_, url, "e", boost::json::value{});
  EXPECT_EQ(runner.RunDue(), 1u);
  const Job stored = Reload(job);
  EXPECT_EQ(stored.state, JobState::kPending);
  ASSERT_TRUE(stored.last_error);
  EXPECT_NE(stored.last_error->find("POST " + url), std::string::npos) << *stored.last_error;
}

TEST_F(NotificationsTest, WebhookToANonHttpUrlIsPermanent) {
  JobRunner& runner = Runner({});
  const Job job = EnqueueWebhook(*db_, *jobs_, "file:///etc/passwd", "e", boost::json::value{});
  EXPECT_EQ(runner.RunDue(), 1u);
  EXPECT_EQ(Reload(job).state, JobState::kDead);
}

TEST_F(NotificationsTest, EmailWithoutAnSmtpUrlIsDeadLetteredWithAClearError) {
  JobRunner& runner = Runner({});
  const Job job = EnqueueEmail(*db_, *jobs_, "a@example.com", "Hi", "text");
  EXPECT_EQ(runner.RunDue(), 1u);
  const Job stored = Reload(job);
  EXPECT_EQ(stored.state, JobState::kDead);
  EXPECT_EQ(stored.last_error, "email is disabled: notifications.smtp.url is not configured");
}

#ifdef MGW_NODE_EXECUTABLE

// The SMTP server as a child process (tests/support/smtp_sink.h) with this build's node.
class SmtpSink : public mgw::testing::SmtpSink {
 public:
  explicit SmtpSink(std::vector<std::string> extra = {})
      : mgw::testing::SmtpSink(MGW_NODE_EXECUTABLE, std::move(extra)) {}
};

std::string HeaderOf(const std::string& message, const std::string& name) {
  std::smatch match;
  if (std::regex_search(message, match, std::regex("(^|\r\n)" + name + ": ([^\r]*)\r\n"))) {
    return match[2].str();
  }
  return "";
}

using mgw::testing::DecodeBase64;

TEST_F(NotificationsTest, EmailArrivesWithItsHeadersAndText) {
  SmtpSink sink;
  JobRunner& runner = Runner({.smtp_url = sink.url(), .smtp_from = "mgw <mgw@example.org>"});
  const Job job = EnqueueEmail(*db_, *jobs_, "alice@example.com", "Your recording — ready",
                               "Hello Alice,\nthe link: https://example.org/r/1\n");
  EXPECT_EQ(runner.RunDue(), 1u);
  EXPECT_EQ(Reload(job).state, JobState::kDone) << Reload(job).last_error.value_or("");

  boost::json::value message = sink.NextMessage();
  EXPECT_EQ(message.at("from").as_string(), "mgw@example.org");
  EXPECT_EQ(message.at("to"), boost::json::parse(R"(["alice@example.com"])"));
  const std::string data(message.at("data").as_string());
  EXPECT_EQ(HeaderOf(data, "From"), "mgw <mgw@example.org>");
  EXPECT_EQ(HeaderOf(data, "To"), "alice@example.com");
  EXPECT_EQ(HeaderOf(data, "Subject"), "=?UTF-8?B?WW91ciByZWNvcmRpbmcg4oCUIHJlYWR5?=");
  // Date and Message-ID come from the job, so a re-send is the same message.
  EXPECT_EQ(HeaderOf(data, "Date"), "Sun, 17 Mar 2030 17:46:40 +0000");
  EXPECT_EQ(HeaderOf(data, "Message-ID"),
            "<mgw-job-" + std::to_string(job.id) + ".1900000000000@example.org>");
  EXPECT_EQ(HeaderOf(data, "MIME-Version"), "1.0");
  EXPECT_EQ(HeaderOf(data, "Content-Type"), "text/plain; charset=utf-8");
  const size_t body_at = data.find("\r\n\r\n");
  ASSERT_NE(body_at, std::string::npos);
  EXPECT_EQ(DecodeBase64(data.substr(body_at + 4)),
            "Hello Alice,\r\nthe link: https://example.org/r/1\r\n");
}

TEST_F(NotificationsTest, EmailAuthenticatesWhenConfigured) {
  SmtpSink sink({"--auth", "mailer:pa55"});
  JobRunner& runner = Runner({.smtp_url = sink.url(),
                              .smtp_username = "mailer",
                              .smtp_password = Secret("pa55"),
                              .smtp_from = "mgw@example.org"});
  const Job job = EnqueueEmail(*db_, *jobs_, "bob@example.com", "Hi", "text");
  EXPECT_EQ(runner.RunDue(), 1u);
  EXPECT_EQ(Reload(job).state, JobState::kDone) << Reload(job).last_error.value_or("");
  EXPECT_EQ(sink.NextMessage().at("user").as_string(), "mailer");

  // A wrong password is refused by the server (535): permanent, nothing delivered.
  JobRunner& wrong = Runner({.smtp_url = sink.url(),
                             .smtp_username = "mailer",
                             .smtp_password = Secret("nope"),
                             .smtp_from = "mgw@example.org"});
  const Job refused = EnqueueEmail(*db_, *jobs_, "bob@example.com", "Hi", "text");
  EXPECT_EQ(wrong.RunDue(), 1u);
  EXPECT_EQ(Reload(refused).state, JobState::kDead);
}

TEST_F(NotificationsTest, EmailRefusedRecipientIsPermanentAndATemporaryRefusalRetries) {
  {
    SmtpSink sink({"--reject-rcpt", "550"});
    JobRunner& runner = Runner({.smtp_url = sink.url(), .smtp_from = "mgw@example.org"});
    const Job job = EnqueueEmail(*db_, *jobs_, "nobody@example.com", "Hi", "text");
    EXPECT_EQ(runner.RunDue(), 1u);
    const Job stored = Reload(job);
    EXPECT_EQ(stored.state, JobState::kDead);
    EXPECT_NE(stored.last_error.value_or("").find("550"), std::string::npos)
        << stored.last_error.value_or("");
  }
  {
    SmtpSink sink({"--reject-rcpt", "451"});
    JobRunner& runner = Runner({.smtp_url = sink.url(), .smtp_from = "mgw@example.org"});
    const Job job = EnqueueEmail(*db_, *jobs_, "later@example.com", "Hi", "text");
    EXPECT_EQ(runner.RunDue(), 1u);
    EXPECT_EQ(Reload(job).state, JobState::kPending) << Reload(job).last_error.value_or("");
  }
}

TEST_F(NotificationsTest, EmailRequiresStartTlsAndVerifiesTheServer) {
  const mgw::testing::TestCertificate cert = mgw::testing::MakeTestCertificate(dir_, "smtp");
  SmtpSink sink({"--tls", cert.cert_file, cert.key_file});
  JobRunner& runner = Runner({.smtp_url = sink.url(),
                              .smtp_from = "mgw@example.org",
                              .smtp_starttls = true,
                              .smtp_ca_file = cert.cert_file});
  const Job job = EnqueueEmail(*db_, *jobs_, "tls@example.com", "Hi", "over TLS");
  EXPECT_EQ(runner.RunDue(), 1u);
  EXPECT_EQ(Reload(job).state, JobState::kDone) << Reload(job).last_error.value_or("");
  boost::json::value message = sink.NextMessage();
  EXPECT_TRUE(message.at("secure").as_bool()) << boost::json::serialize(message);

  // A server whose certificate the configured CAs do not vouch for gets nothing.
  const mgw::testing::TestCertificate other = mgw::testing::MakeTestCertificate(dir_, "other");
  JobRunner& untrusting = Runner({.smtp_url = sink.url(),
                                  .smtp_from = "mgw@example.org",
                                  .smtp_starttls = true,
                                  .smtp_ca_file = other.cert_file});
  const Job refused = EnqueueEmail(*db_, *jobs_, "tls@example.com", "Hi", "not sent");
  EXPECT_EQ(untrusting.RunDue(), 1u);
  EXPECT_NE(Reload(refused).state, JobState::kDone);

  // STARTTLS required, but the server does not offer it: nothing goes out in the clear.
  SmtpSink plain;
  JobRunner& strict =
      Runner({.smtp_url = plain.url(), .smtp_from = "mgw@example.org", .smtp_starttls = true});
  const Job cleartext = EnqueueEmail(*db_, *jobs_, "tls@example.com", "Hi", "not sent");
  EXPECT_EQ(strict.RunDue(), 1u);
  EXPECT_NE(Reload(cleartext).state, JobState::kDone);
  EXPECT_NE(Reload(cleartext).last_error.value_or("").find("SSL"), std::string::npos)
      << Reload(cleartext).last_error.value_or("");
}

#endif  // MGW_NODE_EXECUTABLE

}  // namespace
}  // namespace mgw::service
