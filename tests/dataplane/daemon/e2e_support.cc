#include "e2e_support.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <srtp2/srtp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/json.hpp>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "http_fetch.h"

namespace mgw::e2e {

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

void Store16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void Store32(uint8_t* p, uint32_t v) {
  Store16(p, static_cast<uint16_t>(v >> 16));
  Store16(p + 2, static_cast<uint16_t>(v));
}
uint16_t Load16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t Load32(const uint8_t* p) { return static_cast<uint32_t>(Load16(p)) << 16 | Load16(p + 2); }

std::string Quiet(const std::string& command) { return command + " >/dev/null 2>&1"; }

// CPUs this process may run on, for the EAL's --lcores (the main lcore floats over all of them
// instead of being pinned to CPU 0 on a shared 2-core machine).
std::string CpuList() {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  sched_getaffinity(0, sizeof(cpus), &cpus);
  std::string list;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &cpus)) continue;
    if (!list.empty()) list += ",";
    list += std::to_string(cpu);
  }
  return list;
}

std::atomic<int> g_env_counter{0};

}  // namespace

bool RunCommand(const std::string& command, std::string* error) {
  if (std::system(Quiet(command).c_str()) == 0) return true;
  if (error != nullptr && error->empty()) *error = "failed: " + command;
  return false;
}

// ---- Netns ----

Netns::Netns(std::string name) : name_(std::move(name)) {
  if (!RunCommand("ip netns add " + name_, nullptr)) return;
  fd_ = open(("/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
}

Netns::~Netns() {
  if (fd_ >= 0) close(fd_);
  RunCommand("ip netns del " + name_, nullptr);
}

NetnsScope::NetnsScope(const Netns& ns) {
  original_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  entered_ = original_ >= 0 && ns.ok() && setns(ns.fd(), CLONE_NEWNET) == 0;
}

NetnsScope::~NetnsScope() {
  if (entered_ && setns(original_, CLONE_NEWNET) != 0) std::abort();  // would poison the test
  if (original_ >= 0) close(original_);
}

// ---- Peer ----

Peer::Peer(const Netns& ns, const io::IpAddress& address, const io::Endpoint& dataplane)
    : dataplane_(dataplane) {
  NetnsScope scope(ns);
  if (!scope.ok()) return;
  fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  int buffer = 4 << 20;
  setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof(buffer));
  io::Endpoint local{address, 0};
  sockaddr_storage storage;
  socklen_t length = io::EndpointToSockaddr(local, AF_INET, &storage);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&storage), length) != 0) {
    close(fd_);
    fd_ = -1;
    return;
  }
  length = sizeof(storage);
  getsockname(fd_, reinterpret_cast<sockaddr*>(&storage), &length);
  endpoint_ = *io::EndpointFromSockaddr(reinterpret_cast<sockaddr*>(&storage), length);
}

Peer::~Peer() {
  if (fd_ >= 0) close(fd_);
}

bool Peer::Send(const Bytes& bytes) const {
  sockaddr_storage storage;
  socklen_t length = io::EndpointToSockaddr(dataplane_, AF_INET, &storage);
  return sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&storage),
                length) == static_cast<ssize_t>(bytes.size());
}

std::optional<Bytes> Peer::Receive(std::chrono::milliseconds timeout) {
  pollfd pfd{fd_, POLLIN, 0};
  if (poll(&pfd, 1, static_cast<int>(timeout.count())) != 1) return std::nullopt;
  Bytes bytes(65536);
  const ssize_t got = recv(fd_, bytes.data(), bytes.size(), 0);
  if (got < 0) return std::nullopt;
  bytes.resize(static_cast<size_t>(got));
  return bytes;
}

// ---- DataplaneEnv ----

DataplaneEnv::DataplaneEnv(BackendSpec spec) : spec_(spec), dir_("mgw-e2e") {
  try {
    if (SetUpNetwork()) StartDaemon();
  } catch (const std::exception& e) {
    error_ = e.what();
  }
}

DataplaneEnv::~DataplaneEnv() {
  control_.reset();
  if (daemon_) {
    daemon_->Signal(SIGTERM);
    if (!daemon_->WaitForExit(20s)) daemon_.reset();  // SIGKILL
  }
  daemon_.reset();
  peer_ns_.reset();
  dp_ns_.reset();
}

bool DataplaneEnv::SetUpNetwork() {
  const std::string base =
      "mgwe2e-" + std::to_string(getpid()) + "-" + std::to_string(g_env_counter++);
  dp_ns_ = std::make_unique<Netns>(base + "-dp");
  peer_ns_ = std::make_unique<Netns>(base + "-peer");
  if (!dp_ns_->ok() || !peer_ns_->ok()) {
    error_ = "cannot create network namespaces " + base + "-{dp,peer} (root needed)";
    return false;
  }
  const bool dpdk = std::string(spec_.backend) == "dpdk";
  const std::string dp = dp_ns_->name();
  const std::string peer = peer_ns_->name();
  const std::string peer_ip = dpdk ? "198.18.1.2" : "198.18.0.2";
  peer_address_ = *io::IpAddress::Parse(peer_ip);
  media_ = io::Endpoint{*io::IpAddress::Parse(dpdk ? "198.18.1.1" : "198.18.0.1"),
                        static_cast<uint16_t>(dpdk ? 5004 : 0)};
  for (const std::string& ns : {dp, peer}) {
    if (!RunCommand("ip netns exec " + ns +
                        " sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
                        "net.ipv6.conf.default.disable_ipv6=1",
                    &error_) ||
        !RunCommand("ip -n " + ns + " link set lo up", &error_)) {
      return false;
    }
  }
  if (!RunCommand("ip -n " + dp + " link add vdp type veth peer name vpeer netns " + peer,
                  &error_) ||
      (!dpdk && !RunCommand("ip -n " + dp + " addr add 198.18.0.1/24 dev vdp", &error_)) ||
      !RunCommand("ip -n " + peer + " addr add " + peer_ip + "/24 dev vpeer", &error_) ||
      !RunCommand("ip -n " + dp + " link set vdp up", &error_) ||
      !RunCommand("ip -n " + peer + " link set vpeer up", &error_)) {
    return false;
  }
  return true;
}

bool DataplaneEnv::StartDaemon() {
  const bool dpdk = std::string(spec_.backend) == "dpdk";
  std::string config = "[dataplane]\n";
  if (dpdk) {
    // A TOML list: --set splits lists at commas, and --lcores needs them.
    config += "[dataplane.dpdk]\nport = \"net_af_packet0,iface=vdp\"\neal_args = [\"--no-huge\", ";
    config += "\"-m\", \"512\", \"--no-shconf\", \"--file-prefix=" + dp_ns_->name() + "\", ";
    config += "\"--no-pci\", \"--no-telemetry\", \"--lcores=0@(" + CpuList() + ")\", ";
    config += "\"--log-level=lib.eal:warning\"]\n";
  }
  const std::string config_file = dir_.Write("mgw.toml", config);
  const std::string socket = dir_.File("dataplane.sock");
  testing::ChildProcess::Options options;
  options.args = {"/usr/sbin/ip",
                  "netns",
                  "exec",
                  dp_ns_->name(),
                  testing::BinaryPath("mgw-dataplane"),
                  "--config",
                  config_file,
                  "--set",
                  std::string("dataplane.backend=") + spec_.backend,
                  "--set",
                  "dataplane.media_address=" + media_.address.ToString(),
                  "--set",
                  "dataplane.media_port=" + std::to_string(media_.port),
                  "--set",
                  "dataplane.workers=" + std::to_string(spec_.workers),
                  "--set",
                  "dataplane.control_socket=" + socket,
                  "--set",
                  "dataplane.admin_port=0",
                  "--set",
                  "dataplane.pli_interval_ms=100"};
  options.env = {{"MGW_RUNTIME_DIR", dir_.File("run")}, {"MGW_STATE_DIR", dir_.File("state")}};
  daemon_ = std::make_unique<testing::ChildProcess>(options);
  auto admin = daemon_->WaitForLine(std::regex(R"(admin endpoints on http://[^:]+:(\d+)/)"), 30s);
  if (!admin) {
    error_ = "mgw-dataplane (" + std::string(spec_.backend) + ") did not start; its output:\n" +
             daemon_->output();
    return false;
  }
  admin_port_ = static_cast<uint16_t>(std::stoi((*admin)[1].str()));
  try {
    control_ = std::make_unique<control::ControlClient>(socket);
    json::object hello = control_->Call(control::Hello{});
    if (json::value_to<std::string>(hello.at("backend")) != spec_.backend) {
      error_ = "hello names backend " + json::serialize(hello.at("backend"));
      return false;
    }
    media_.port = static_cast<uint16_t>(hello.at("media").at("port").to_number<int64_t>());
    // One datagram through before any test: the participants' kernel has resolved the
    // dataplane's address (with dpdk, the backend answered its ARP and learned the peer's MAC)
    // and the port is up. The probe is dropped as short_header.
    auto probe = MakePeer();
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    bool through = false;
    while (!through && std::chrono::steady_clock::now() < deadline) {
      probe->Send({0x00});
      const auto wait_until = std::chrono::steady_clock::now() + 500ms;
      while (!through && std::chrono::steady_clock::now() < wait_until) {
        through = MetricSum("mgw_dataplane_io_rx_packets_total") > 0;
      }
    }
    if (!through) {
      error_ = "no datagram reached mgw-dataplane (" + std::string(spec_.backend) + ")\n" +
               daemon_->output();
      return false;
    }
  } catch (const std::exception& e) {
    error_ = std::string("control socket: ") + e.what() + "\n" + daemon_->output();
    return false;
  }
  return true;
}

const std::string& DataplaneEnv::daemon_output() const {
  static const std::string kNone;
  return daemon_ ? daemon_->output() : kNone;
}

std::unique_ptr<Peer> DataplaneEnv::MakePeer() {
  auto peer = std::make_unique<Peer>(*peer_ns_, peer_address_, media_);
  if (!peer->ok()) throw std::runtime_error("cannot create a participant socket");
  return peer;
}

json::object DataplaneEnv::Call(const control::Command& command) { return control_->Call(command); }

std::vector<json::object> DataplaneEnv::CallAll(const std::vector<control::Command>& commands) {
  return control_->CallAll(commands);
}

json::object DataplaneEnv::Stats(const std::optional<std::string>& participant) {
  return control_->Call(control::StatsQuery{participant});
}

uint64_t DataplaneEnv::Drops(const std::string& reason) {
  return Stats(std::nullopt).at("drops").at(reason).to_number<uint64_t>();
}

std::string DataplaneEnv::Metrics() {
  NetnsScope scope(*dp_ns_);
  if (!scope.ok()) throw std::runtime_error("cannot enter the dataplane's namespace");
  return testing::HttpFetch("127.0.0.1", admin_port_, "GET", "/metrics").body;
}

double DataplaneEnv::MetricSum(const std::string& family, const std::string& label) {
  std::istringstream lines(Metrics());
  double sum = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(family, 0) != 0) continue;
    const char next = line.size() > family.size() ? line[family.size()] : '\0';
    if (next != '{' && next != ' ') continue;
    if (!label.empty() && line.find(label) == std::string::npos) continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

bool DataplaneEnv::WaitForAddress(const std::string& participant, const std::string& address,
                                  std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    json::object stats = Stats(participant);
    const json::object& p = stats.at("participants").as_array().at(0).as_object();
    if (const json::value* a = p.if_contains("address");
        a != nullptr && a->as_string() == address) {
      return true;
    }
    // The control round trip paces this loop; no sleep needed for correctness.
    std::this_thread::yield();
  } while (std::chrono::steady_clock::now() < deadline);
  return false;
}

// ---- RTP / RTCP ----

Bytes BuildRtp(const Rtp& rtp) {
  Bytes b(12);
  b[0] = static_cast<uint8_t>(0x80 | (rtp.extension.empty() ? 0 : 0x10));
  b[1] = static_cast<uint8_t>((rtp.marker ? 0x80 : 0) | rtp.pt);
  Store16(&b[2], rtp.seq);
  Store32(&b[4], rtp.ts);
  Store32(&b[8], rtp.ssrc);
  b.insert(b.end(), rtp.extension.begin(), rtp.extension.end());
  b.insert(b.end(), rtp.payload.begin(), rtp.payload.end());
  return b;
}

bool IsRtcp(const Bytes& bytes) { return bytes.size() >= 2 && bytes[1] >= 192 && bytes[1] <= 223; }

std::optional<Rtp> ParseRtp(const Bytes& bytes) {
  if (bytes.size() < 12 || (bytes[0] >> 6) != 2 || IsRtcp(bytes)) return std::nullopt;
  Rtp rtp;
  rtp.marker = (bytes[1] & 0x80) != 0;
  rtp.pt = bytes[1] & 0x7F;
  rtp.seq = Load16(&bytes[2]);
  rtp.ts = Load32(&bytes[4]);
  rtp.ssrc = Load32(&bytes[8]);
  size_t offset = 12 + 4 * (bytes[0] & 0x0F);
  if ((bytes[0] & 0x10) != 0) {
    if (bytes.size() < offset + 4) return std::nullopt;
    const size_t length = 4 + 4 * static_cast<size_t>(Load16(&bytes[offset + 2]));
    if (bytes.size() < offset + length) return std::nullopt;
    rtp.extension.assign(bytes.begin() + static_cast<long>(offset),
                         bytes.begin() + static_cast<long>(offset + length));
    offset += length;
  }
  if (bytes.size() < offset) return std::nullopt;
  rtp.payload.assign(bytes.begin() + static_cast<long>(offset), bytes.end());
  return rtp;
}

namespace {

Bytes CodecPrefix(Codec codec, bool keyframe) {
  if (codec == Codec::kVp8) {
    // X and S set, PictureID present; the payload header's P bit clear on a keyframe.
    return keyframe ? Bytes{0x90, 0x80, 0x05, 0x9C, 0x01, 0x2A} : Bytes{0x90, 0x80, 0x06, 0x9D};
  }
  // H.264: first FU-A fragment of an IDR slice, or a single non-IDR slice NAL.
  return keyframe ? Bytes{0x7C, 0x85} : Bytes{0x41, 0x9A};
}

}  // namespace

Bytes VideoPayload(Codec codec, bool keyframe, uint32_t tag, size_t size) {
  Bytes b = CodecPrefix(codec, keyframe);
  const size_t at = b.size();
  b.resize(at + 4 + size);
  Store32(&b[at], tag);
  for (size_t i = 0; i < size; ++i) b[at + 4 + i] = static_cast<uint8_t>(tag * 31 + i * 7);
  return b;
}

std::optional<uint32_t> PayloadTag(Codec codec, const Bytes& payload) {
  const size_t at = CodecPrefix(codec, IsKeyframePayload(codec, payload)).size();
  if (payload.size() < at + 4) return std::nullopt;
  return Load32(&payload[at]);
}

bool IsKeyframePayload(Codec codec, const Bytes& payload) {
  if (codec == Codec::kVp8) return payload.size() > 3 && (payload[3] & 0x01) == 0;
  return payload.size() > 1 && payload[0] == 0x7C;
}

Bytes ReceiverReport(uint32_t sender_ssrc) {
  Bytes b(8);
  b[0] = 0x80;
  b[1] = 201;
  Store16(&b[2], 1);
  Store32(&b[4], sender_ssrc);
  return b;
}

Bytes Nack(uint32_t sender_ssrc, uint32_t media_ssrc, uint16_t pid, uint16_t blp) {
  // RTPFB requires a compound that starts with a report (RFC 3550 6.1).
  Bytes b = ReceiverReport(sender_ssrc);
  Bytes fb(16);
  fb[0] = 0x81;  // FMT 1: generic NACK
  fb[1] = 205;
  Store16(&fb[2], 3);
  Store32(&fb[4], sender_ssrc);
  Store32(&fb[8], media_ssrc);
  Store16(&fb[12], pid);
  Store16(&fb[14], blp);
  b.insert(b.end(), fb.begin(), fb.end());
  return b;
}

Bytes Pli(uint32_t sender_ssrc, uint32_t media_ssrc) {
  Bytes b = ReceiverReport(sender_ssrc);
  Bytes fb(12);
  fb[0] = 0x81;  // FMT 1: PLI
  fb[1] = 206;
  Store16(&fb[2], 2);
  Store32(&fb[4], sender_ssrc);
  Store32(&fb[8], media_ssrc);
  b.insert(b.end(), fb.begin(), fb.end());
  return b;
}

std::vector<uint32_t> PliMediaSsrcs(const Bytes& compound) {
  std::vector<uint32_t> out;
  size_t offset = 0;
  while (offset + 4 <= compound.size()) {
    const size_t length = 4 + 4 * static_cast<size_t>(Load16(&compound[offset + 2]));
    if (offset + length > compound.size()) break;
    if (compound[offset + 1] == 206 && (compound[offset] & 0x1F) == 1 && length >= 12) {
      out.push_back(Load32(&compound[offset + 8]));
    }
    offset += length;
  }
  return out;
}

Bytes SenderReport(uint32_t ssrc, uint64_t ntp, uint32_t rtp_timestamp, uint32_t packets,
                   uint32_t octets) {
  Bytes b(28);
  b[0] = 0x80;
  b[1] = 200;
  Store16(&b[2], 6);
  Store32(&b[4], ssrc);
  Store32(&b[8], static_cast<uint32_t>(ntp >> 32));
  Store32(&b[12], static_cast<uint32_t>(ntp));
  Store32(&b[16], rtp_timestamp);
  Store32(&b[20], packets);
  Store32(&b[24], octets);
  return b;
}

Bytes ReceiverReportAbout(uint32_t sender_ssrc, uint32_t media_ssrc, uint8_t fraction_lost,
                          uint32_t cumulative_lost, uint32_t jitter) {
  Bytes b(32);
  b[0] = 0x81;  // one report block
  b[1] = 201;
  Store16(&b[2], 7);
  Store32(&b[4], sender_ssrc);
  Store32(&b[8], media_ssrc);
  Store32(&b[12], static_cast<uint32_t>(fraction_lost) << 24 | (cumulative_lost & 0xFFFFFF));
  Store32(&b[16], 0);  // extended highest sequence number: not checked by the tests
  Store32(&b[20], jitter);
  return b;  // LSR and DLSR zero
}

Bytes Fir(uint32_t sender_ssrc, uint32_t media_ssrc, uint8_t sequence) {
  Bytes b = ReceiverReport(sender_ssrc);
  Bytes fb(20);
  fb[0] = 0x84;  // FMT 4: FIR
  fb[1] = 206;
  Store16(&fb[2], 4);
  Store32(&fb[4], sender_ssrc);
  Store32(&fb[8], 0);  // media source SSRC: unused for FIR, the FCI names it
  Store32(&fb[12], media_ssrc);
  fb[16] = sequence;
  b.insert(b.end(), fb.begin(), fb.end());
  return b;
}

std::vector<RtcpPacket> SplitRtcp(const Bytes& compound) {
  std::vector<RtcpPacket> out;
  size_t offset = 0;
  while (offset + 8 <= compound.size()) {
    const size_t length = 4 + 4 * static_cast<size_t>(Load16(&compound[offset + 2]));
    if (offset + length > compound.size()) break;
    RtcpPacket packet;
    packet.type = compound[offset + 1];
    packet.count = compound[offset] & 0x1F;
    packet.sender_ssrc = Load32(&compound[offset + 4]);
    packet.bytes.assign(compound.begin() + static_cast<long>(offset),
                        compound.begin() + static_cast<long>(offset + length));
    out.push_back(std::move(packet));
    offset += length;
  }
  return out;
}

uint32_t ReadU32(const Bytes& bytes, size_t offset) {
  return offset + 4 <= bytes.size() ? Load32(&bytes[offset]) : 0;
}

// ---- SRTP ----

namespace {
void InitSrtpOnce() {
  static const bool done = [] { return srtp_init() == srtp_err_status_ok; }();
  if (!done) throw std::runtime_error("srtp_init failed");
}
}  // namespace

SrtpContext::SrtpContext(control::SrtpSuite suite, const Bytes& key, bool outbound) {
  InitSrtpOnce();
  srtp_policy_t policy;
  std::memset(&policy, 0, sizeof(policy));
  if (suite == control::SrtpSuite::kAeadAes128Gcm) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
  } else {
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
    srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
  }
  policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
  policy.key = const_cast<uint8_t*>(key.data());
  policy.window_size = 128;
  srtp_t session = nullptr;
  if (srtp_create(&session, &policy) == srtp_err_status_ok) session_ = session;
}

SrtpContext::~SrtpContext() {
  if (session_ != nullptr) srtp_dealloc(static_cast<srtp_t>(session_));
}

Bytes SrtpContext::ProtectRtp(const Bytes& rtp) {
  Bytes b = rtp;
  b.resize(rtp.size() + SRTP_MAX_TRAILER_LEN);
  int length = static_cast<int>(rtp.size());
  if (srtp_protect(static_cast<srtp_t>(session_), b.data(), &length) != srtp_err_status_ok) {
    throw std::runtime_error("srtp_protect failed");
  }
  b.resize(static_cast<size_t>(length));
  return b;
}

Bytes SrtpContext::ProtectRtcp(const Bytes& rtcp) {
  Bytes b = rtcp;
  b.resize(rtcp.size() + SRTP_MAX_TRAILER_LEN + 4);
  int length = static_cast<int>(rtcp.size());
  if (srtp_protect_rtcp(static_cast<srtp_t>(session_), b.data(), &length) != srtp_err_status_ok) {
    throw std::runtime_error("srtp_protect_rtcp failed");
  }
  b.resize(static_cast<size_t>(length));
  return b;
}

std::optional<Bytes> SrtpContext::UnprotectRtp(const Bytes& srtp) {
  Bytes b = srtp;
  int length = static_cast<int>(b.size());
  if (srtp_unprotect(static_cast<srtp_t>(session_), b.data(), &length) != srtp_err_status_ok) {
    return std::nullopt;
  }
  b.resize(static_cast<size_t>(length));
  return b;
}

std::optional<Bytes> SrtpContext::UnprotectRtcp(const Bytes& srtcp) {
  Bytes b = srtcp;
  int length = static_cast<int>(b.size());
  if (srtp_unprotect_rtcp(static_cast<srtp_t>(session_), b.data(), &length) != srtp_err_status_ok) {
    return std::nullopt;
  }
  b.resize(static_cast<size_t>(length));
  return b;
}

Bytes RandomKey(control::SrtpSuite suite, uint8_t seed) {
  Bytes key(control::MasterKeyAndSaltBytes(suite));
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(seed * 131 + i * 17 + 1);
  return key;
}

}  // namespace mgw::e2e
