#include "mgw/control/control_protocol.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <cstring>
#include <set>

namespace mgw::control {
namespace json = boost::json;

namespace {

struct BadRequest {
  std::string message;
};

// Reads the fields of one JSON object, remembering which it used, so that anything left over
// can be reported as unknown (a typo must never be silently ignored).
class Fields {
 public:
  Fields(const json::object& object, std::string where)
      : object_(object), where_(std::move(where)) {}

  const json::value* Find(std::string_view key) {
    used_.insert(std::string(key));
    auto it = object_.find(key);
    return it == object_.end() ? nullptr : &it->value();
  }

  std::string String(std::string_view key, size_t max_len = 128) {
    auto v = OptionalString(key, max_len);
    if (!v) Fail(key, "is required");
    return *v;
  }
  std::optional<std::string> OptionalString(std::string_view key, size_t max_len = 128) {
    const json::value* v = Find(key);
    if (v == nullptr) return std::nullopt;
    if (!v->is_string()) Fail(key, "must be a string");
    std::string s(v->as_string());
    if (s.empty() || s.size() > max_len) {
      Fail(key, fmt::format("must be 1 to {} bytes long", max_len));
    }
    return s;
  }
  uint64_t Unsigned(std::string_view key, uint64_t max) {
    auto v = OptionalUnsigned(key, max);
    if (!v) Fail(key, "is required");
    return *v;
  }
  std::optional<uint64_t> OptionalUnsigned(std::string_view key, uint64_t max) {
    const json::value* v = Find(key);
    if (v == nullptr) return std::nullopt;
    uint64_t out = 0;
    if (v->is_uint64()) {
      out = v->as_uint64();
    } else if (v->is_int64() && v->as_int64() >= 0) {
      out = static_cast<uint64_t>(v->as_int64());
    } else {
      Fail(key, fmt::format("must be an integer from 0 to {}", max));
    }
    if (out > max) Fail(key, fmt::format("must be an integer from 0 to {}", max));
    return out;
  }
  const json::object* OptionalObject(std::string_view key) {
    const json::value* v = Find(key);
    if (v == nullptr) return nullptr;
    if (!v->is_object()) Fail(key, "must be an object");
    return &v->as_object();
  }
  const json::array* OptionalArray(std::string_view key) {
    const json::value* v = Find(key);
    if (v == nullptr) return nullptr;
    if (!v->is_array()) Fail(key, "must be an array");
    return &v->as_array();
  }
  std::string Choice(std::string_view key, std::initializer_list<std::string_view> choices,
                     std::optional<std::string_view> fallback = std::nullopt) {
    auto v = OptionalString(key);
    if (!v) {
      if (fallback) return std::string(*fallback);
      Fail(key, "is required");
    }
    for (auto c : choices) {
      if (*v == c) return *v;
    }
    std::string list;
    for (auto c : choices) list += fmt::format("{}\"{}\"", list.empty() ? "" : ", ", c);
    Fail(key, fmt::format("must be one of {}", list));
  }
  void RejectUnknown() {
    for (const auto& [key, value] : object_) {
      if (!used_.contains(std::string(key))) {
        throw BadRequest{fmt::format("{}unknown field \"{}\"", Prefix(), std::string(key))};
      }
    }
  }
  [[noreturn]] void Fail(std::string_view key, std::string_view what) {
    throw BadRequest{fmt::format("{}\"{}\" {}", Prefix(), key, what)};
  }
  std::string Nested(std::string_view key) const {
    return where_.empty() ? std::string(key) : fmt::format("{}.{}", where_, key);
  }

 private:
  std::string Prefix() const { return where_.empty() ? "" : where_ + ": "; }

  const json::object& object_;
  std::string where_;
  std::set<std::string> used_;
};

SrtpKeys ParseSrtp(const json::object& object, const std::string& where) {
  Fields f(object, where);
  SrtpKeys keys;
  std::string suite = f.Choice("suite", {"AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM"});
  keys.suite =
      suite == "AEAD_AES_128_GCM" ? SrtpSuite::kAeadAes128Gcm : SrtpSuite::kAesCm128HmacSha1_80;
  size_t want = MasterKeyAndSaltBytes(keys.suite);
  for (auto [name, out] : {std::pair{"rx_key", &keys.rx_key}, std::pair{"tx_key", &keys.tx_key}}) {
    std::string text = f.String(name, 256);
    auto bytes = Base64Decode(text);
    if (!bytes) f.Fail(name, "must be base64");
    if (bytes->size() != want) {
      f.Fail(name, fmt::format("must hold {} bytes (master key and salt) for {}, not {}", want,
                               suite, bytes->size()));
    }
    *out = std::move(*bytes);
  }
  f.RejectUnknown();
  return keys;
}

AudioSpec ParseAudio(const json::object& object, const std::string& where) {
  Fields f(object, where);
  AudioSpec audio;
  audio.ssrc = static_cast<uint32_t>(f.Unsigned("ssrc", UINT32_MAX));
  audio.payload_type = static_cast<uint8_t>(f.OptionalUnsigned("payload_type", 127).value_or(111));
  audio.clock_rate =
      static_cast<uint32_t>(f.OptionalUnsigned("clock_rate", 192000).value_or(48000));
  audio.codec = f.Choice("codec", {"opus"}, "opus");
  f.RejectUnknown();
  return audio;
}

VideoSpec ParseVideo(const json::object& object, const std::string& where) {
  Fields f(object, where);
  VideoSpec video;
  video.codec = f.Choice("codec", {"vp8", "h264"});
  video.payload_type = static_cast<uint8_t>(f.OptionalUnsigned("payload_type", 127).value_or(96));
  video.clock_rate =
      static_cast<uint32_t>(f.OptionalUnsigned("clock_rate", 192000).value_or(90000));
  if (auto rtx = f.OptionalUnsigned("rtx_payload_type", 127)) {
    video.rtx_payload_type = static_cast<uint8_t>(*rtx);
  }
  const json::array* encodings = f.OptionalArray("encodings");
  if (encodings == nullptr || encodings->empty() || encodings->size() > 3) {
    f.Fail("encodings", "must be an array of 1 to 3 encodings");
  }
  uint64_t last_bitrate = 0;
  for (size_t i = 0; i < encodings->size(); ++i) {
    const json::value& e = (*encodings)[i];
    std::string here = fmt::format("{}[{}]", f.Nested("encodings"), i);
    if (!e.is_object()) throw BadRequest{here + " must be an object"};
    Fields ef(e.as_object(), here);
    VideoEncoding encoding;
    encoding.ssrc = static_cast<uint32_t>(ef.Unsigned("ssrc", UINT32_MAX));
    if (auto rtx = ef.OptionalUnsigned("rtx_ssrc", UINT32_MAX)) {
      encoding.rtx_ssrc = static_cast<uint32_t>(*rtx);
    }
    encoding.bitrate = ef.OptionalUnsigned("bitrate", 1'000'000'000).value_or(0);
    if (i > 0 && encoding.bitrate < last_bitrate) {
      ef.Fail("bitrate", "must not be lower than the previous encoding's (lowest first)");
    }
    last_bitrate = encoding.bitrate;
    ef.RejectUnknown();
    video.encodings.push_back(encoding);
  }
  f.RejectUnknown();
  return video;
}

Command ParseCommand(const std::string& op, Fields& f) {
  if (op == "hello") return Hello{};
  if (op == "participant.add") {
    AddParticipant add;
    add.participant = f.String("participant");
    add.meeting = f.String("meeting");
    add.recorder = f.Choice("role", {"participant", "recorder"}, "participant") == "recorder";
    add.address = f.OptionalString("address", 64);
    if (const json::object* srtp = f.OptionalObject("srtp")) add.srtp = ParseSrtp(*srtp, "srtp");
    if (const json::object* audio = f.OptionalObject("audio")) {
      add.audio = ParseAudio(*audio, "audio");
    }
    if (const json::object* video = f.OptionalObject("video")) {
      add.video = ParseVideo(*video, "video");
    }
    if (add.recorder && (add.audio || add.video)) {
      f.Fail("role", "\"recorder\" publishes nothing: drop \"audio\" and \"video\"");
    }
    return add;
  }
  if (op == "participant.remove") return RemoveParticipant{f.String("participant")};
  if (op == "participant.set_keys") {
    SetKeys keys;
    keys.participant = f.String("participant");
    const json::object* srtp = f.OptionalObject("srtp");
    if (srtp == nullptr) f.Fail("srtp", "is required");
    keys.srtp = ParseSrtp(*srtp, "srtp");
    return keys;
  }
  if (op == "meeting.remove") return RemoveMeeting{f.String("meeting")};
  if (op == "subscribe") {
    Subscribe s;
    s.subscriber = f.String("subscriber");
    s.publisher = f.String("publisher");
    s.bitrate = f.Unsigned("bitrate", 1'000'000'000);
    if (auto rtx = f.OptionalUnsigned("rtx_ssrc", UINT32_MAX)) {
      s.rtx_ssrc = static_cast<uint32_t>(*rtx);
    }
    if (auto pt = f.OptionalUnsigned("rtx_payload_type", 127)) {
      s.rtx_payload_type = static_cast<uint8_t>(*pt);
    }
    if (s.rtx_ssrc.has_value() != s.rtx_payload_type.has_value()) {
      f.Fail(s.rtx_ssrc ? "rtx_payload_type" : "rtx_ssrc", "is required with the other RTX field");
    }
    return s;
  }
  if (op == "unsubscribe") return Unsubscribe{f.String("subscriber"), f.String("publisher")};
  if (op == "swap") {
    Swap swap;
    swap.subscriber = f.String("subscriber");
    if (const json::array* remove = f.OptionalArray("remove")) {
      for (const json::value& v : *remove) {
        if (!v.is_string() || v.as_string().empty()) {
          throw BadRequest{"\"remove\" must be an array of participant ids"};
        }
        swap.remove.emplace_back(v.as_string());
      }
    }
    if (const json::array* add = f.OptionalArray("add")) {
      for (size_t i = 0; i < add->size(); ++i) {
        std::string here = fmt::format("add[{}]", i);
        if (!(*add)[i].is_object()) throw BadRequest{here + " must be an object"};
        Fields af((*add)[i].as_object(), here);
        SwapAdd a{af.String("publisher"), af.Unsigned("bitrate", 1'000'000'000)};
        af.RejectUnknown();
        swap.add.push_back(std::move(a));
      }
    }
    return swap;
  }
  if (op == "stats") return StatsQuery{f.OptionalString("participant")};
  throw ParseFailure{json::value(), {ErrorCode::kUnknownOp, fmt::format("unknown op \"{}\"", op)}};
}

void PutSrtp(json::object& out, const SrtpKeys& keys) {
  out["srtp"] = json::object{{"suite", ToString(keys.suite)},
                             {"rx_key", Base64Encode(keys.rx_key)},
                             {"tx_key", Base64Encode(keys.tx_key)}};
}

}  // namespace

std::string_view ToString(ErrorCode code) {
  switch (code) {
    case ErrorCode::kBadRequest:
      return "bad_request";
    case ErrorCode::kUnsupportedVersion:
      return "unsupported_version";
    case ErrorCode::kUnknownOp:
      return "unknown_op";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kAlreadyExists:
      return "already_exists";
    case ErrorCode::kLimitExceeded:
      return "limit_exceeded";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "internal";
}

std::optional<ErrorCode> ParseErrorCode(std::string_view text) {
  for (ErrorCode code : {ErrorCode::kBadRequest, ErrorCode::kUnsupportedVersion,
                         ErrorCode::kUnknownOp, ErrorCode::kNotFound, ErrorCode::kAlreadyExists,
                         ErrorCode::kLimitExceeded, ErrorCode::kInternal}) {
    if (ToString(code) == text) return code;
  }
  return std::nullopt;
}

std::string_view ToString(SrtpSuite suite) {
  return suite == SrtpSuite::kAeadAes128Gcm ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80";
}

size_t MasterKeyAndSaltBytes(SrtpSuite suite) {
  return suite == SrtpSuite::kAeadAes128Gcm ? 16 + 12 : 16 + 14;
}

std::string_view OpName(const Command& command) {
  struct Visitor {
    std::string_view operator()(const Hello&) { return "hello"; }
    std::string_view operator()(const AddParticipant&) { return "participant.add"; }
    std::string_view operator()(const RemoveParticipant&) { return "participant.remove"; }
    std::string_view operator()(const SetKeys&) { return "participant.set_keys"; }
    std::string_view operator()(const RemoveMeeting&) { return "meeting.remove"; }
    std::string_view operator()(const Subscribe&) { return "subscribe"; }
    std::string_view operator()(const Unsubscribe&) { return "unsubscribe"; }
    std::string_view operator()(const Swap&) { return "swap"; }
    std::string_view operator()(const StatsQuery&) { return "stats"; }
  };
  return std::visit(Visitor{}, command);
}

std::variant<Request, ParseFailure> ParseRequest(std::string_view line) {
  if (line.size() > kMaxLineBytes) {
    return ParseFailure{json::value(), {ErrorCode::kBadRequest, "request line exceeds 1 MiB"}};
  }
  boost::system::error_code ec;
  json::value root = json::parse(line, ec);
  if (ec) {
    return ParseFailure{json::value(),
                        {ErrorCode::kBadRequest, fmt::format("not JSON: {}", ec.message())}};
  }
  if (!root.is_object()) {
    return ParseFailure{json::value(), {ErrorCode::kBadRequest, "a request is a JSON object"}};
  }
  const json::object& object = root.as_object();
  json::value id;
  if (auto it = object.find("id"); it != object.end()) {
    if (it->value().is_string() || it->value().is_int64() || it->value().is_uint64()) {
      id = it->value();
    } else {
      return ParseFailure{json::value(),
                          {ErrorCode::kBadRequest, "\"id\" must be an integer or a string"}};
    }
  } else {
    return ParseFailure{json::value(), {ErrorCode::kBadRequest, "\"id\" is required"}};
  }
  auto v = object.find("v");
  if (v == object.end() || !v->value().is_int64() || v->value().as_int64() != kProtocolVersion) {
    return ParseFailure{id,
                        {ErrorCode::kUnsupportedVersion,
                         fmt::format("this dataplane speaks protocol version {} (\"v\": {})",
                                     kProtocolVersion, kProtocolVersion)}};
  }
  try {
    Fields f(object, "");
    f.Find("id");
    f.Find("v");
    std::string op = f.String("op");
    Command command = ParseCommand(op, f);
    f.RejectUnknown();
    return Request{id, std::move(command)};
  } catch (const BadRequest& e) {
    return ParseFailure{id, {ErrorCode::kBadRequest, e.message}};
  } catch (ParseFailure& failure) {
    failure.id = id;
    return failure;
  }
}

json::object ToJson(const Command& command) {
  json::object out;
  out["op"] = OpName(command);
  struct Visitor {
    json::object& out;
    void operator()(const Hello&) {}
    void operator()(const AddParticipant& a) {
      out["participant"] = a.participant;
      out["meeting"] = a.meeting;
      out["role"] = a.recorder ? "recorder" : "participant";
      if (a.address) out["address"] = *a.address;
      if (a.srtp) PutSrtp(out, *a.srtp);
      if (a.audio) {
        out["audio"] = json::object{{"ssrc", a.audio->ssrc},
                                    {"payload_type", a.audio->payload_type},
                                    {"clock_rate", a.audio->clock_rate},
                                    {"codec", a.audio->codec}};
      }
      if (a.video) {
        json::array encodings;
        for (const VideoEncoding& e : a.video->encodings) {
          json::object eo{{"ssrc", e.ssrc}, {"bitrate", e.bitrate}};
          if (e.rtx_ssrc) eo["rtx_ssrc"] = *e.rtx_ssrc;
          encodings.push_back(std::move(eo));
        }
        json::object vo{{"codec", a.video->codec},
                        {"payload_type", a.video->payload_type},
                        {"clock_rate", a.video->clock_rate},
                        {"encodings", std::move(encodings)}};
        if (a.video->rtx_payload_type) vo["rtx_payload_type"] = *a.video->rtx_payload_type;
        out["video"] = std::move(vo);
      }
    }
    void operator()(const RemoveParticipant& r) { out["participant"] = r.participant; }
    void operator()(const SetKeys& k) {
      out["participant"] = k.participant;
      PutSrtp(out, k.srtp);
    }
    void operator()(const RemoveMeeting& r) { out["meeting"] = r.meeting; }
    void operator()(const Subscribe& s) {
      out["subscriber"] = s.subscriber;
      out["publisher"] = s.publisher;
      out["bitrate"] = s.bitrate;
      if (s.rtx_ssrc) out["rtx_ssrc"] = *s.rtx_ssrc;
      if (s.rtx_payload_type) out["rtx_payload_type"] = *s.rtx_payload_type;
    }
    void operator()(const Unsubscribe& u) {
      out["subscriber"] = u.subscriber;
      out["publisher"] = u.publisher;
    }
    void operator()(const Swap& s) {
      out["subscriber"] = s.subscriber;
      json::array remove;
      for (const auto& p : s.remove) remove.emplace_back(p);
      json::array add;
      for (const auto& a : s.add) {
        add.push_back(json::object{{"publisher", a.publisher}, {"bitrate", a.bitrate}});
      }
      out["remove"] = std::move(remove);
      out["add"] = std::move(add);
    }
    void operator()(const StatsQuery& q) {
      if (q.participant) out["participant"] = *q.participant;
    }
  };
  std::visit(Visitor{out}, command);
  return out;
}

std::string SerializeRequest(const json::value& id, const Command& command) {
  json::object out = ToJson(command);
  out["v"] = kProtocolVersion;
  out["id"] = id;
  return json::serialize(out);
}

std::string SerializeResult(const json::value& id, json::object result) {
  json::object out{
      {"v", kProtocolVersion}, {"id", id}, {"ok", true}, {"result", std::move(result)}};
  return json::serialize(out);
}

std::string SerializeError(const json::value& id, const Error& error) {
  json::object out{
      {"v", kProtocolVersion},
      {"id", id},
      {"ok", false},
      {"error", json::object{{"code", ToString(error.code)}, {"message", error.message}}}};
  return json::serialize(out);
}

namespace {
constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

std::string Base64Encode(const std::vector<uint8_t>& bytes) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    for (int shift : {18, 12, 6, 0}) out += kBase64Alphabet[(n >> shift) & 63];
  }
  if (i + 1 == bytes.size()) {
    uint32_t n = bytes[i] << 16;
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    uint32_t n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += kBase64Alphabet[(n >> 18) & 63];
    out += kBase64Alphabet[(n >> 12) & 63];
    out += kBase64Alphabet[(n >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::vector<uint8_t>> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::vector<uint8_t> out;
  for (size_t i = 0; i < text.size(); i += 4) {
    uint32_t n = 0;
    int pad = 0;
    for (size_t j = 0; j < 4; ++j) {
      char c = text[i + j];
      uint32_t value = 0;
      const char* p = c == '\0' ? nullptr : std::strchr(kBase64Alphabet, c);
      if (c == '=' && i + 4 == text.size() && j >= 2) {
        ++pad;
      } else if (pad > 0 || p == nullptr) {  // data after padding, or not in the alphabet
        return std::nullopt;
      } else {
        value = static_cast<uint32_t>(p - kBase64Alphabet);
      }
      n = (n << 6) | value;
    }
    out.push_back(static_cast<uint8_t>(n >> 16));
    if (pad < 2) out.push_back(static_cast<uint8_t>(n >> 8));
    if (pad < 1) out.push_back(static_cast<uint8_t>(n));
  }
  return out;
}

}  // namespace mgw::control
