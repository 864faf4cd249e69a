#pragma once

// Support for the dataplane's end-to-end tests: two network namespaces joined by a veth pair, a
// real mgw-dataplane process in one of them, participants as kernel UDP sockets in the other,
// RTP/RTCP builders and a libsrtp context for the participant side. See README.md.

#include <boost/json/object.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "child_process.h"
#include "mgw/control/control_protocol.h"
#include "mgw/control/control_server.h"
#include "mgw/io/endpoint.h"
#include "temp_dir.h"

namespace mgw::e2e {

using Bytes = std::vector<uint8_t>;

// A named network namespace ("ip netns add"), removed (with its interfaces) on destruction.
class Netns {
 public:
  explicit Netns(std::string name);
  ~Netns();
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  bool ok() const { return fd_ >= 0; }
  const std::string& name() const { return name_; }
  int fd() const { return fd_; }

 private:
  std::string name_;
  int fd_ = -1;
};

// Moves the calling thread into `ns` for the scope (sockets created meanwhile stay there).
class NetnsScope {
 public:
  explicit NetnsScope(const Netns& ns);
  ~NetnsScope();
  NetnsScope(const NetnsScope&) = delete;
  NetnsScope& operator=(const NetnsScope&) = delete;
  bool ok() const { return entered_; }

 private:
  int original_ = -1;
  bool entered_ = false;
};

// Runs a shell command quietly; false (with the command in *error) when it fails.
bool RunCommand(const std::string& command, std::string* error);

// A participant's UDP socket, created inside the participants' namespace.
class Peer {
 public:
  Peer(const Netns& ns, const io::IpAddress& address, const io::Endpoint& dataplane);
  ~Peer();
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  bool ok() const { return fd_ >= 0; }
  const io::Endpoint& endpoint() const { return endpoint_; }
  std::string address() const { return endpoint_.ToString(); }

  bool Send(const Bytes& bytes) const;
  // The next datagram from the dataplane within `timeout`.
  std::optional<Bytes> Receive(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
  io::Endpoint endpoint_;
  io::Endpoint dataplane_;
};

struct BackendSpec {
  const char* backend;  // posix, uring, dpdk
  int workers;
};

// One mgw-dataplane for a test suite, with its namespaces and its control connection.
class DataplaneEnv {
 public:
  explicit DataplaneEnv(BackendSpec spec);
  ~DataplaneEnv();

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const BackendSpec& spec() const { return spec_; }

  std::unique_ptr<Peer> MakePeer();
  boost::json::object Call(const control::Command& command);
  std::vector<boost::json::object> CallAll(const std::vector<control::Command>& commands);
  boost::json::object Stats(const std::optional<std::string>& participant = std::nullopt);
  uint64_t Drops(const std::string& reason);
  // The /metrics page, fetched inside the dataplane's namespace.
  std::string Metrics();
  // The sum of every sample of `family` whose labels contain `label` (e.g. reason="x").
  double MetricSum(const std::string& family, const std::string& label = "");
  // Waits (polling `stats`) until the participant's address is known to the dataplane.
  bool WaitForAddress(const std::string& participant, const std::string& address,
                      std::chrono::milliseconds timeout);
  const std::string& daemon_output() const;

 private:
  bool SetUpNetwork();
  bool StartDaemon();

  BackendSpec spec_;
  std::string error_;
  testing::TempDir dir_;
  std::unique_ptr<Netns> dp_ns_;
  std::unique_ptr<Netns> peer_ns_;
  std::unique_ptr<testing::ChildProcess> daemon_;
  std::unique_ptr<control::ControlClient> control_;
  io::IpAddress peer_address_;
  io::Endpoint media_;
  uint16_t admin_port_ = 0;
};

// ---- RTP / RTCP ----

struct Rtp {
  uint8_t pt = 96;
  bool marker = false;
  uint16_t seq = 0;
  uint32_t ts = 0;
  uint32_t ssrc = 0;
  Bytes extension;  // a whole RFC 8285 block (profile, length, data) or empty
  Bytes payload;
};
Bytes BuildRtp(const Rtp& rtp);
std::optional<Rtp> ParseRtp(const Bytes& bytes);  // nullopt for RTCP or garbage
bool IsRtcp(const Bytes& bytes);

// Payloads: a codec prefix (keyframe start or delta), then a 4-byte tag naming the packet, then
// a filler of `size` bytes derived from the tag, so every payload is unique and checkable.
enum class Codec { kVp8, kH264 };
Bytes VideoPayload(Codec codec, bool keyframe, uint32_t tag, size_t size);
// The tag of a payload built by VideoPayload (nullopt when too short).
std::optional<uint32_t> PayloadTag(Codec codec, const Bytes& payload);
bool IsKeyframePayload(Codec codec, const Bytes& payload);

Bytes ReceiverReport(uint32_t sender_ssrc);                                         // RR, no blocks
Bytes Nack(uint32_t sender_ssrc, uint32_t media_ssrc, uint16_t pid, uint16_t blp);  // RFC 4585
Bytes Pli(uint32_t sender_ssrc, uint32_t media_ssrc);
// PLIs in an RTCP compound: the media SSRCs of each.
std::vector<uint32_t> PliMediaSsrcs(const Bytes& compound);
// A sender report (no report blocks): NTP time, RTP timestamp, packet and octet counts.
Bytes SenderReport(uint32_t ssrc, uint64_t ntp, uint32_t rtp_timestamp, uint32_t packets,
                   uint32_t octets);
// A receiver report with one report block about `media_ssrc`.
Bytes ReceiverReportAbout(uint32_t sender_ssrc, uint32_t media_ssrc, uint8_t fraction_lost,
                          uint32_t cumulative_lost, uint32_t jitter);
// A compound of RR and FIR (RFC 5104 4.3.1) asking `media_ssrc` for a keyframe.
Bytes Fir(uint32_t sender_ssrc, uint32_t media_ssrc, uint8_t sequence);

// One packet of an RTCP compound.
struct RtcpPacket {
  uint8_t type = 0;   // 200 SR, 201 RR, 205 RTPFB, 206 PSFB, ...
  uint8_t count = 0;  // report count, or FMT for feedback
  uint32_t sender_ssrc = 0;
  Bytes bytes;  // the whole packet, header included
};
// The packets of a compound, in order; stops at the first one that runs past the end.
std::vector<RtcpPacket> SplitRtcp(const Bytes& compound);
// Big-endian field readers for RTCP bodies.
uint32_t ReadU32(const Bytes& bytes, size_t offset);

// ---- SRTP on the participant side (libsrtp) ----

class SrtpContext {
 public:
  // `outbound`: protects; otherwise unprotects. `key` is master key followed by master salt.
  SrtpContext(control::SrtpSuite suite, const Bytes& key, bool outbound);
  ~SrtpContext();
  SrtpContext(const SrtpContext&) = delete;
  SrtpContext& operator=(const SrtpContext&) = delete;
  bool ok() const { return session_ != nullptr; }

  Bytes ProtectRtp(const Bytes& rtp);
  Bytes ProtectRtcp(const Bytes& rtcp);
  std::optional<Bytes> UnprotectRtp(const Bytes& srtp);
  std::optional<Bytes> UnprotectRtcp(const Bytes& srtcp);

 private:
  void* session_ = nullptr;
};

Bytes RandomKey(control::SrtpSuite suite, uint8_t seed);

}  // namespace mgw::e2e
