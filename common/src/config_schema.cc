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
  };
}

}  // namespace

const std::vector<KeySpec>& Schema() {
  static const std::vector<KeySpec> schema = BuildSchema();
  return schema;
}

}  // namespace mgw::config
