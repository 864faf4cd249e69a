#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

// The dataplane control protocol, version 1 (api/dataplane-control.md): typed requests parsed
// from, and written to, one JSON object per line. Parsing checks every field (type, range,
// unknown fields) so the dataplane only ever sees well-formed commands.
namespace mgw::control {

inline constexpr int kProtocolVersion = 1;
inline constexpr size_t kMaxLineBytes = 1 << 20;
inline constexpr size_t kMaxVideoSubscriptions = 49;
inline constexpr size_t kMaxRecorderVideoSubscriptions = 50;

enum class ErrorCode {
  kBadRequest,
  kUnsupportedVersion,
  kUnknownOp,
  kNotFound,
  kAlreadyExists,
  kLimitExceeded,
  kInternal,
};
std::string_view ToString(ErrorCode code);
std::optional<ErrorCode> ParseErrorCode(std::string_view text);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
};

enum class SrtpSuite { kAesCm128HmacSha1_80, kAeadAes128Gcm };
std::string_view ToString(SrtpSuite suite);
size_t MasterKeyAndSaltBytes(SrtpSuite suite);  // 30 for AES-CM, 28 for GCM

struct SrtpKeys {
  SrtpSuite suite = SrtpSuite::kAesCm128HmacSha1_80;
  std::vector<uint8_t> rx_key;  // what the participant sends is protected with this
  std::vector<uint8_t> tx_key;  // what the participant receives is protected with this
};

struct AudioSpec {
  uint32_t ssrc = 0;
  uint8_t payload_type = 111;
  uint32_t clock_rate = 48000;
  std::string codec = "opus";
};

struct VideoEncoding {
  uint32_t ssrc = 0;
  std::optional<uint32_t> rtx_ssrc;
  uint64_t bitrate = 0;  // bits per second
};

struct VideoSpec {
  std::string codec;  // "vp8" or "h264"
  uint8_t payload_type = 96;
  uint32_t clock_rate = 90000;
  std::optional<uint8_t> rtx_payload_type;
  std::vector<VideoEncoding> encodings;  // 1 to 3, lowest bitrate first
};

struct Hello {};
struct AddParticipant {
  std::string participant;
  std::string meeting;
  bool recorder = false;
  std::optional<std::string> address;  // "ip:port" or "[ipv6]:port"
  std::optional<SrtpKeys> srtp;
  std::optional<AudioSpec> audio;
  std::optional<VideoSpec> video;
};
struct RemoveParticipant {
  std::string participant;
};
struct SetKeys {
  std::string participant;
  SrtpKeys srtp;
};
struct RemoveMeeting {
  std::string meeting;
};
struct Subscribe {
  std::string subscriber;
  std::string publisher;
  uint64_t bitrate = 0;
  // RFC 4588 retransmission for this feed, when the subscriber negotiated it: NACKs are then
  // answered on rtx_ssrc with rtx_payload_type; otherwise with plain retransmissions.
  std::optional<uint32_t> rtx_ssrc;
  std::optional<uint8_t> rtx_payload_type;
};
struct Unsubscribe {
  std::string subscriber;
  std::string publisher;
};
struct SwapAdd {
  std::string publisher;
  uint64_t bitrate = 0;
};
struct Swap {
  std::string subscriber;
  std::vector<std::string> remove;
  std::vector<SwapAdd> add;
};
struct StatsQuery {
  std::optional<std::string> participant;
};

using Command = std::variant<Hello, AddParticipant, RemoveParticipant, SetKeys, RemoveMeeting,
                             Subscribe, Unsubscribe, Swap, StatsQuery>;

std::string_view OpName(const Command& command);

struct Request {
  boost::json::value id;
  Command command;
};

struct ParseFailure {
  boost::json::value id;  // null when the line had no usable id
  Error error;
};

// One request line (without the newline).
std::variant<Request, ParseFailure> ParseRequest(std::string_view line);

// The request line for `command` (client side: mgwctl, the control plane).
std::string SerializeRequest(const boost::json::value& id, const Command& command);
boost::json::object ToJson(const Command& command);

// Response lines (server side), without the trailing newline.
std::string SerializeResult(const boost::json::value& id, boost::json::object result);
std::string SerializeError(const boost::json::value& id, const Error& error);

// Base64 (RFC 4648, with padding) for SRTP keys.
std::string Base64Encode(const std::vector<uint8_t>& bytes);
std::optional<std::vector<uint8_t>> Base64Decode(std::string_view text);

}  // namespace mgw::control
