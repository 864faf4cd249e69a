// The schema of mgw's configuration: every key, its type, default, bounds and meaning.
// deploy/mgw.toml documents the same keys; tests/common/config_test.cc keeps the two in step.
#include "mgw/common/config.h"

namespace mgw::config {
namespace {

using std::string;
using List = std::vector<std::string>;

std::vector<KeySpec> BuildSchema() {
  constexpr int64_t kPortMax = 65535;
  return {
      // Top level: where things live.
      {"state_dir", Type::kString, string("/var/lib/mgw"),
       "Directory for durable state (SQLite database, recordings). Relative data paths below "
       "are resolved against it."},
      {"runtime_dir", Type::kString, string("/run/mgw"),
       "Directory for runtime files (the dataplane control socket). Relative socket paths "
       "below are resolved against it."},

      {"log.level",
       Type::kString,
       string("info"),
       "Lowest level written to the log.",
       0,
       0,
       {"trace", "debug", "info", "warn", "error"}},
      {"log.format",
       Type::kString,
       string("text"),
       "Log line format: text for people, json (one object per line) for collectors.",
       0,
       0,
       {"text", "json"}},

      {"admin.user", Type::kString, string(""),
       "Bootstrap administrator created on the control plane's first start (an email "
       "address or a name). Empty: admin. Ignored once an administrator exists."},
      {"admin.password",
       Type::kString,
       string(""),
       "Password of the bootstrap administrator. Empty: one is generated, printed once and only "
       "its hash is stored.",
       0,
       0,
       {},
       true},

      {"controlplane.listen_address", Type::kString, string("127.0.0.1"),
       "Address the HTTP/WebSocket API listens on."},
      {"controlplane.port", Type::kInt, int64_t{8080},
       "TCP port of the HTTP/WebSocket API (0: any free port).", 0, kPortMax},
      {"controlplane.public_url", Type::kString, string("http://127.0.0.1:8080"),
       "Base URL under which clients reach the API; used in links the API returns."},
      {"controlplane.threads", Type::kInt, int64_t{2}, "Threads serving HTTP requests.", 1, 64},
      {"controlplane.max_body_bytes", Type::kInt, int64_t{1048576},
       "Largest request body accepted; larger requests get 413.", 1024, 1073741824},
      {"controlplane.max_header_bytes", Type::kInt, int64_t{16384},
       "Largest request header block accepted; larger requests get 431.", 1024, 1048576},
      {"controlplane.dataplane_socket", Type::kString, string("dataplane.sock"),
       "The dataplane's control socket (relative to runtime_dir)."},
      {"controlplane.rate_limit.requests_per_second", Type::kInt, int64_t{100},
       "Sustained API requests per second per caller (the account, or the source address for "
       "sign-up and login); more get 429 with Retry-After. 0: no limit.",
       0, 1000000},
      {"controlplane.rate_limit.burst", Type::kInt, int64_t{200},
       "API requests a caller may make at once before the sustained rate applies.", 1, 1000000},
      {"controlplane.tls.enabled", Type::kBool, false, "Serve HTTPS instead of HTTP."},
      {"controlplane.tls.cert_file", Type::kString, string(""),
       "PEM certificate chain, required when TLS is enabled."},
      {"controlplane.tls.key_file", Type::kString, string(""),
       "PEM private key, required when TLS is enabled."},
      {"controlplane.database.backend",
       Type::kString,
       string("sqlite"),
       "Where durable state lives: sqlite (one host, zero setup) or postgresql (several control "
       "planes sharing one database).",
       0,
       0,
       {"sqlite", "postgresql"}},
      {"controlplane.database.sqlite_path", Type::kString, string("mgw.db"),
       "SQLite database file (relative to state_dir)."},
      {"controlplane.database.postgresql_uri",
       Type::kString,
       string(""),
       "libpq connection URI, e.g. postgresql://mgw@db.example/mgw. May hold a password.",
       0,
       0,
       {},
       true},
      {"controlplane.database.pool_size", Type::kInt, int64_t{4},
       "Database connections kept open (PostgreSQL).", 1, 256},
      {"controlplane.cache.enabled", Type::kBool, true,
       "Read caches in front of authentication and GET /meeting/{id}, invalidated by every write "
       "(PostgreSQL: across control planes, by NOTIFY mgw_cache)."},
      {"controlplane.cache.entries", Type::kInt, int64_t{10000},
       "Most entries each read cache holds (least recently used go first).", 1, 10000000},
      {"controlplane.cache.max_age_ms", Type::kInt, int64_t{2000},
       "Oldest a cached entry may be when served, in milliseconds: the bound on staleness should "
       "an invalidation ever be lost.",
       1, 3600000},
      {"controlplane.jobs.poll_interval_ms", Type::kInt, int64_t{500},
       "How often the durable job runner looks for due jobs, in milliseconds (new jobs from this "
       "process wake it sooner).",
       10, 60000},
      {"controlplane.jobs.max_attempts", Type::kInt, int64_t{8},
       "Attempts a job gets before it is dead-lettered.", 1, 1000},
      {"controlplane.jobs.backoff_base_ms", Type::kInt, int64_t{1000},
       "Delay before a failed job's first retry, in milliseconds; doubles with each attempt "
       "(with +/-20 % jitter).",
       1, 86400000},
      {"controlplane.jobs.backoff_max_ms", Type::kInt, int64_t{3600000},
       "Longest delay between two attempts of a job, in milliseconds (at least backoff_base_ms).",
       1, 86400000},
      {"controlplane.jobs.lease_ms", Type::kInt, int64_t{300000},
       "How long a claimed job may run before another worker may claim it again (the first one "
       "is presumed dead), in milliseconds.",
       1000, 86400000},
      {"controlplane.jobs.alert_webhook_url", Type::kString, string(""),
       "http(s) URL that receives a signed job.dead_lettered webhook whenever a job is "
       "dead-lettered. Empty: no alert."},

      {"notifications.webhook_secret",
       Type::kString,
       string(""),
       "HMAC-SHA256 key of the X-Mgw-Signature header of outgoing webhooks (see "
       "api/webhooks.md). Empty: webhooks are sent unsigned.",
       0,
       0,
       {},
       true},
      {"notifications.webhook_timeout_ms", Type::kInt, int64_t{10000},
       "Time one webhook delivery may take (connect, send, answer), in milliseconds.", 100, 600000},
      {"notifications.recording_webhook_url", Type::kString, string(""),
       "http(s) URL that receives a signed recording.ready webhook (with the time-limited link) "
       "when a recording is delivered. Empty: recipients are told by email only."},
      // Tables after their parent's plain keys (the rendered TOML needs it).
      {"notifications.smtp.url", Type::kString, string(""),
       "SMTP server for email, smtp://host:port or smtps://host:port. Empty: email is disabled "
       "(email jobs are dead-lettered with a clear error)."},
      {"notifications.smtp.starttls", Type::kBool, false,
       "With smtp://, require STARTTLS before sending anything."},
      {"notifications.smtp.ca_file", Type::kString, string(""),
       "PEM file of the CAs that verify the SMTP server's certificate (smtps:// or STARTTLS). "
       "Empty: the system's CAs."},
      {"notifications.smtp.username", Type::kString, string(""),
       "SMTP AUTH user name. Empty: no authentication."},
      {"notifications.smtp.password",
       Type::kString,
       string(""),
       "SMTP AUTH password.",
       0,
       0,
       {},
       true},
      {"notifications.smtp.from", Type::kString, string("mgw@localhost"),
       "Sender address of email (envelope and From:), e.g. \"mgw <mgw@example.org>\"."},

      {"dataplane.backend",
       Type::kString,
       string("uring"),
       "Packet I/O: dpdk (kernel bypass), uring (io_uring) or posix (recvmmsg/sendmmsg).",
       0,
       0,
       {"dpdk", "uring", "posix"}},
      {"dataplane.media_address", Type::kString, string("127.0.0.1"),
       "Address that receives and sends RTP/RTCP."},
      {"dataplane.media_port", Type::kInt, int64_t{40000},
       "UDP port for RTP/RTCP (0: any free port).", 0, kPortMax},
      {"dataplane.workers", Type::kInt, int64_t{1},
       "Forwarding workers, one per core (and one NIC queue each with dpdk).", 1, 128},
      {"dataplane.worker_cpus", Type::kStringList, List{},
       "CPU numbers to pin the workers to, one per worker in order, e.g. [\"2\", \"3\"]. Empty: "
       "workers are not pinned and the scheduler places them."},
      {"dataplane.idle_poll_us", Type::kInt, int64_t{200},
       "Socket backends: how long a worker keeps polling after its last packet before it "
       "sleeps, in microseconds (Seastar's idle-poll-time-us, same default). Polling takes the "
       "thread wake-up (tens of microseconds on a VM) out of the next packet's latency; the "
       "price is a busy core whenever packets come closer together than this. 0 sleeps at once. "
       "dpdk workers always poll.",
       0, 1000000},
      {"dataplane.control_socket", Type::kString, string("dataplane.sock"),
       "Unix stream socket of the control protocol (relative to runtime_dir)."},
      {"dataplane.admin_address", Type::kString, string("127.0.0.1"),
       "Address of the /healthz, /readyz and /metrics endpoints."},
      {"dataplane.admin_port", Type::kInt, int64_t{9101},
       "TCP port of /healthz, /readyz and /metrics (0: any free port).", 0, kPortMax},
      {"dataplane.nack_cache_ms", Type::kInt, int64_t{1000},
       "How much of each stream is kept for NACK retransmission, in milliseconds.", 0, 10000},
      {"dataplane.pli_interval_ms", Type::kInt, int64_t{500},
       "Least time between two PLI/FIR forwarded to one publisher, in milliseconds.", 0, 60000},
      {"dataplane.per_leg_metrics", Type::kBool, true,
       "Export per subscriber leg packets, bytes, retransmissions, reported loss and jitter on "
       "/metrics (about 5,000 legs per 50-person meeting; the control socket's stats has them "
       "either way)."},
      {"dataplane.max_participants", Type::kInt, int64_t{4096},
       "Participants one dataplane holds (publishers and subscribers); each worker sizes its "
       "tables for it (streams: twice as many, SSRCs: eight times).",
       1, 1000000},
      {"dataplane.max_legs", Type::kInt, int64_t{131072},
       "Subscriber legs (one per subscriber and forwarded stream, audio included) one dataplane "
       "holds.",
       1, 16777216},
      {"dataplane.srtp_protect",
       Type::kString,
       string("openssl"),
       "What protects the SRTP RTP sent to subscribers: openssl (mgw's sender on OpenSSL's "
       "AES-GCM, AES-CTR and HMAC-SHA1, byte for byte what libsrtp sends, 2 to 4 times as fast as "
       "Debian's NSS-based libsrtp) or libsrtp. Unprotect and SRTCP always use libsrtp.",
       0,
       0,
       {"openssl", "libsrtp"}},
      {"dataplane.dpdk.eal_args", Type::kStringList, List{},
       "Arguments for the DPDK EAL, e.g. [\"-l\", \"0-1\", \"-a\", \"0000:03:00.0\"]."},
      {"dataplane.dpdk.port", Type::kString, string(""),
       "The ethdev that carries media: a device EAL probed (\"0000:03:00.0\") or vdev devargs to "
       "attach (\"net_af_packet0,iface=eth1\"). Required with backend = \"dpdk\"."},
      {"dataplane.dpdk.prefix_length", Type::kInt, int64_t{24},
       "Length of the on-link subnet around media_address; other destinations go through the "
       "gateway.",
       1, 32},
      {"dataplane.dpdk.gateway", Type::kString, string(""),
       "IPv4 next hop for off-link destinations. Empty: every destination is on-link."},
      {"dataplane.dpdk.gateway_mac", Type::kString, string(""),
       "Next-hop MAC address for off-link destinations (aa:bb:cc:dd:ee:ff). Empty: resolve the "
       "gateway by ARP."},
      {"dataplane.dpdk.arp_reachable_ms", Type::kInt, int64_t{30000},
       "ARP entries older than this are asked for again while still in use, and forgotten 3 s "
       "later when nobody answers, in milliseconds (0: entries never age).",
       0, 3600000},

      {"recorder.admin_address", Type::kString, string("127.0.0.1"),
       "Address of the /healthz, /readyz and /metrics endpoints."},
      {"recorder.admin_port", Type::kInt, int64_t{9102},
       "TCP port of /healthz, /readyz and /metrics (0: any free port).", 0, kPortMax},
      {"recorder.controlplane_url", Type::kString, string("http://127.0.0.1:8080"),
       "The control plane the recorder takes its jobs from."},
      {"recorder.secret",
       Type::kString,
       string(""),
       "Shared secret the recorder presents to the control plane's /recordings routes (both "
       "read it). Empty: the one in secret_file, generated by whichever daemon starts first.",
       0,
       0,
       {},
       true},
      {"recorder.secret_file", Type::kString, string("recorder.secret"),
       "File holding the generated recorder secret when recorder.secret is empty (relative to "
       "runtime_dir)."},
      {"recorder.name", Type::kString, string(""),
       "This recorder's name in the control plane's records. Empty: the host name."},
      {"recorder.media_address", Type::kString, string("127.0.0.1"),
       "Address the recorder receives RTP on (one UDP socket per recording, any free port); "
       "the dataplane must reach it."},
      {"recorder.poll_interval_ms", Type::kInt, int64_t{1000},
       "How often an idle recorder asks the control plane for work, in milliseconds.", 50, 60000},
      {"recorder.lease_seconds", Type::kInt, int64_t{30},
       "How long a recording stays with a recorder that stopped reporting before another may "
       "claim it (read by the control plane; the recorder reports every third of it).",
       3, 3600},
      {"recorder.max_video_feeds", Type::kInt, int64_t{50},
       "Video feeds one recording subscribes to (every audio stream is always recorded).", 0, 50},
      {"recorder.receive_batch_ms", Type::kInt, int64_t{10},
       "The recorder drains its media socket (recvmmsg) every this many milliseconds instead of "
       "waking per datagram; 0: as soon as it is readable.",
       0, 100},
      {"recorder.mix_audio", Type::kBool, false,
       "Also mix every audio stream of a recording into one more Opus track (libopus decode, "
       "in-band FEC or concealment for lost packets, mix, encode)."},
      {"recorder.link_ttl_seconds", Type::kInt, int64_t{604800},
       "Lifetime of the presigned download link sent to the recipients, in seconds (S3 allows "
       "at most 7 days).",
       60, 604800},
      {"recorder.output_dir", Type::kString, string("recordings"),
       "Where recordings are written (relative to state_dir); also the upload target when no "
       "bucket is configured."},
      {"recorder.s3.endpoint", Type::kString, string(""),
       "S3-compatible endpoint URL, e.g. https://s3.eu-west-1.amazonaws.com. Empty: keep files "
       "in output_dir."},
      {"recorder.s3.bucket", Type::kString, string(""), "Bucket for recordings."},
      {"recorder.s3.region", Type::kString, string("us-east-1"), "Region used for signing."},
      {"recorder.s3.access_key_id", Type::kString, string(""), "Access key id."},
      {"recorder.s3.secret_access_key",
       Type::kString,
       string(""),
       "Secret access key.",
       0,
       0,
       {},
       true},
      {"recorder.s3.part_size_bytes", Type::kInt, int64_t{8388608},
       "Multipart upload part size: the upload streams each full part while the meeting is "
       "recorded. S3 needs at least 5 MiB (5242880); smaller values suit test servers.",
       16384, 5368709120},

      {"schedules.alias_range_start", Type::kInt, int64_t{1000000},
       "First alias number handed to scheduled conferences (numbers go round the range).", 0,
       999999999999},
      {"schedules.alias_range_end", Type::kInt, int64_t{9999999},
       "Last alias number handed to scheduled conferences (at least alias_range_start).", 0,
       999999999999},
      {"schedules.alias_prefix", Type::kString, string("meet"),
       "Prefix of a scheduled conference's aliases: <prefix><n>, <prefix><n>.<alias_domain> and "
       "<n>. Must not be empty or all digits."},
      {"schedules.alias_domain", Type::kString, string("localhost"),
       "Domain of the alias <prefix><n>.<domain>, also the alias in the join links."},
      {"schedules.alias_quarantine_s", Type::kInt, int64_t{86400},
       "Seconds a released alias number rests before another conference may get it.", 0, 31536000},
      {"schedules.join_address", Type::kString, string("localhost"),
       "Host (and port) of the web app in the join links: https://<join_address>/webapp/?..."},
      {"schedules.join_bandwidth_kbps", Type::kInt, int64_t{576},
       "The bw parameter of the join links, in kbit/s.", 256, 1864},
      {"schedules.invitation_webhook_url", Type::kString, string(""),
       "http(s) URL that receives a signed webhook per invitation, update and cancellation sent "
       "to a participant. Empty: none."},
      {"schedules.invitation_email", Type::kBool, true,
       "Email invitations, updates and cancellations to participants (when "
       "notifications.smtp.url is set)."},
      {"schedules.cleanup_interval_s", Type::kInt, int64_t{86400},
       "Seconds between two runs of the job that deletes the conferences of past, cancelled or "
       "completed schedules.",
       60, 2592000},

      {"pexip.username", Type::kString, string(""),
       "User name of HTTP Basic authentication on the Pexip-compatible management API "
       "(/api/admin/...). Empty: Basic is disabled there (bearer tokens and API keys still "
       "work)."},
      {"pexip.password",
       Type::kString,
       string(""),
       "Password of HTTP Basic authentication on the Pexip-compatible management API; required "
       "when pexip.username is set.",
       0,
       0,
       {},
       true},

      {"conferences.pin_lockout.max_failures", Type::kInt, int64_t{5},
       "Wrong PINs from one address that lock it out of the conference (even with the right "
       "PIN).",
       1, 1000},
      {"conferences.pin_lockout.base_backoff_s", Type::kInt, int64_t{30},
       "Seconds the first lockout lasts; each further one lasts twice as long as the one before.",
       1, 86400},
      {"conferences.pin_lockout.max_backoff_s", Type::kInt, int64_t{3600},
       "Seconds a lockout lasts at most (at least base_backoff_s).", 1, 604800},
  };
}

}  // namespace

const std::vector<KeySpec>& Schema() {
  static const std::vector<KeySpec> schema = BuildSchema();
  return schema;
}

}  // namespace mgw::config
