#include "meeting_recorder.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <vector>

#include "mgw/dp/srtp_session.h"
#include "mgw/rec/manifest.h"
#include "mgw/rec/matroska_sink.h"
#include "mgw/rec/media_receiver.h"

namespace mgw::rec {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;
using asio::ip::tcp;
using asio::ip::udp;

namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(20);

uint32_t LoadBe32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

void StoreBe32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// RFC 5761 section 4: RTCP packet types 192-223 in the second byte; RTP payload types avoid them.
bool IsRtcp(std::span<const uint8_t> packet) {
  return packet.size() >= 8 && packet[1] >= 192 && packet[1] <= 223;
}

// Base64 (RFC 4648) as MEETING_USERS carries the SRTP keys; nullopt when malformed.
std::optional<std::vector<uint8_t>> Base64Decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::vector<uint8_t> out(text.size() / 4 * 3);
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  size_t size = static_cast<size_t>(n);
  if (text.ends_with("==")) {
    size -= 2;
  } else if (text.ends_with('=')) {
    size -= 1;
  }
  out.resize(size);
  return out;
}

// One direction's SRTP session from MEETING_USERS' `media.srtp` (`key`: rx_key or tx_key).
std::unique_ptr<dp::SrtpSession> SrtpFrom(const json::object& srtp, const char* key,
                                          dp::SrtpDirection direction) {
  const std::string_view suite = srtp.at("suite").as_string();
  const dp::SrtpSuite s = suite == "AEAD_AES_128_GCM" ? dp::SrtpSuite::kAeadAes128Gcm
                                                      : dp::SrtpSuite::kAesCm128HmacSha1_80;
  const auto material = Base64Decode(srtp.at(key).as_string());
  if (!material) throw std::runtime_error(fmt::format("signalling: srtp.{} is not base64", key));
  return std::make_unique<dp::SrtpSession>(s, direction, *material);
}

std::string Label(const json::object& user, const char* kind) {
  return fmt::format("{} ({}) {}", std::string_view(user.at("display_name").as_string()),
                     user.at("participant_id").to_number<int64_t>(), kind);
}

}  // namespace

struct MeetingRecorder::State : Recording::Listener {
  explicit State(MeetingRecorder& recorder) : owner(recorder) {}

  MeetingRecorder& owner;
  asio::io_context io;
  websocket::stream<tcp::socket> ws{io};
  // Owns the media socket (timed recvmmsg batches, recorder.receive_batch_ms); each datagram:
  // Unprotect, OnDatagram.
  MediaReceiver receiver{io, owner.options_.receive_batch,
                         [this](std::span<uint8_t> datagram) { OnMedia(datagram); }};
  udp::socket& udp_socket = receiver.socket();
  asio::steady_timer poll_timer{io};
  asio::steady_timer heartbeat_timer{io};
  beast::flat_buffer ws_buffer;
  std::deque<std::string> ws_queue;  // one async write at a time
  udp::endpoint dataplane;
  uint32_t own_ssrc = 0;  // the sender SSRC of our PLIs (allocated to us, never published)
  // With SRTP: what the dataplane sends us (tx_key) and our PLIs to it (rx_key).
  std::unique_ptr<dp::SrtpSession> srtp_in;
  std::unique_ptr<dp::SrtpSession> srtp_out;
  uint64_t srtp_failures = 0;

  std::unique_ptr<MatroskaSink> sink;
  std::unique_ptr<Recording> recording;
  std::map<uint32_t, int> track_of_ssrc;
  // Participants with media (MEETING_USERS, then JOIN and LEAVE), by participant id; the
  // SSRCs of those who joined after the current segment was opened; subscribed video feeds.
  std::map<int64_t, json::object> present;
  std::map<uint32_t, int64_t> pending_ssrc;
  std::vector<int64_t> video_feeds;
  MeetingRecorderResult result;
  bool done = false;

  void OnKeyframeNeeded(int, uint32_t ssrc) override {
    // RFC 4585 PLI: V=2, FMT=1, PT=206, length 2, sender SSRC, media SSRC (as we receive it).
    std::array<uint8_t, 12> pli{0x81, 206, 0, 2};
    StoreBe32(pli.data() + 4, own_ssrc);
    StoreBe32(pli.data() + 8, ssrc);
    std::array<uint8_t, 12 + dp::kSrtpMaxOverhead> out{};
    std::copy(pli.begin(), pli.end(), out.begin());
    size_t size = pli.size();
    if (srtp_out && srtp_out->ProtectRtcp(out, &size) != dp::DropReason::kNone) {
      spdlog::warn("recorder: PLI: SRTCP protect failed");
      return;
    }
    boost::system::error_code ec;
    udp_socket.send_to(asio::buffer(out.data(), size), dataplane, 0, ec);
    if (ec) spdlog::warn("recorder: PLI to {}: {}", dataplane.address().to_string(), ec.message());
  }

  // --- synchronous start: join, tracks, subscriptions ---
  json::object ReadMessage() {
    beast::flat_buffer buffer;
    ws.read(buffer);
    json::value value = json::parse(beast::buffers_to_string(buffer.data()));
    if (!value.is_object()) throw std::runtime_error("signalling: a message that is not an object");
    return value.as_object();
  }

  json::object Await(std::string_view wanted) {
    for (;;) {
      json::object message = ReadMessage();
      const std::string_view type = message.at("content_type").as_string();
      if (type == wanted) return message;
      if (type == "JOIN_DENIED" || type == "ERROR" || type == "END") {
        throw std::runtime_error(fmt::format("signalling: {} instead of {}: {}", type, wanted,
                                             json::serialize(message)));
      }
    }
  }

  void SendNow(const json::object& message) {
    ws.text(true);
    ws.write(asio::buffer(json::serialize(message)));
  }

  json::object Join(const MeetingRecorderOptions& o) {
    tcp::resolver resolver(io);
    asio::connect(ws.next_layer(),
                  resolver.resolve(o.signalling_host, std::to_string(o.signalling_port)));
    ws.handshake(fmt::format("{}:{}", o.signalling_host, o.signalling_port), o.signalling_path);
    SendNow({{"content_type", "INIT"}, {"meeting_id", o.meeting_id}, {"token", o.token}});
    Await("INIT");
    const udp::endpoint local = udp_socket.local_endpoint();
    const std::string host = local.address().to_string();
    const std::string address = local.address().is_v6() ? fmt::format("[{}]:{}", host, local.port())
                                                        : fmt::format("{}:{}", host, local.port());
    SendNow({{"content_type", "RECORD_JOIN"},
             {"meeting_id", o.meeting_id},
             {"display_name", "Recorder"},
             {"encryption", o.srtp ? "srtp" : "none"},
             {"address", address}});
    return Await("MEETING_USERS");
  }

  void Remember(const json::object& user, int64_t self) {
    const int64_t id = user.at("participant_id").to_number<int64_t>();
    if (id == self || user.at("role").as_string() == "recorder") return;
    if (user.if_contains("audio_ssrc") == nullptr || user.if_contains("video_ssrc") == nullptr) {
      return;  // joined over HTTP only: no media
    }
    present[id] = user;
  }

  // The participants' tracks into the segment's Recording; video of the first max_video_feeds.
  void AddTracks(int max_video_feeds) {
    track_of_ssrc.clear();
    pending_ssrc.clear();
    for (const auto& [id, user] : present) {
      const std::string group = fmt::format("p{}", id);
      track_of_ssrc[user.at("audio_ssrc").to_number<uint32_t>()] =
          recording->AddTrack({Label(user, "audio"), Codec::kOpus, group});
      const bool subscribed =
          std::find(video_feeds.begin(), video_feeds.end(), id) != video_feeds.end();
      if (subscribed || static_cast<int>(video_feeds.size()) < max_video_feeds) {
        track_of_ssrc[user.at("video_ssrc").to_number<uint32_t>()] =
            recording->AddTrack({Label(user, "video"), Codec::kVp8, group});
        if (!subscribed) video_feeds.push_back(id);
      }
    }
  }

  // A new file `{meeting_id}_{epoch_ms}.mkv` with a Recording of everyone present.
  void OpenSegment() {
    const MeetingRecorderOptions& o = owner.options_;
    RecordedSegment segment;
    const auto epoch_now = std::chrono::system_clock::now().time_since_epoch();
    segment.epoch_start_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(epoch_now).count();
    if (!result.segments.empty() &&
        segment.epoch_start_ms <= result.segments.back().epoch_start_ms) {
      segment.epoch_start_ms = result.segments.back().epoch_start_ms + 1;  // names stay unique
    }
    segment.file_name = RecordingFileName(o.meeting_id, segment.epoch_start_ms);
    segment.file_path = (std::filesystem::path(o.output_dir) / segment.file_name).string();
    recording.reset();
    sink = std::make_unique<MatroskaSink>(MatroskaSink::Options{.path = segment.file_path});
    recording = std::make_unique<Recording>(*sink, MediaClock::now(), o.recording, this);
    AddTracks(o.max_video_feeds);
    spdlog::info("recorder: meeting {}: {} track(s) into {}", o.meeting_id, track_of_ssrc.size(),
                 segment.file_path);
    result.segments.push_back(std::move(segment));
    if (o.on_file) {
      try {
        o.on_file(result.segments.back().file_name);
      } catch (const std::exception& e) {
        spdlog::warn("recorder: reporting {}: {}", result.segments.back().file_name, e.what());
      }
    }
  }

  // Finishes the current segment's file; false when the container writer failed.
  bool CloseSegment() {
    RecordedSegment& segment = result.segments.back();
    segment.sink_ok = recording->Finish(MediaClock::now());
    segment.summary = recording->Summary();
    return segment.sink_ok;
  }

  // --- the asynchronous loop ---
  void Send(const json::object& message) {
    ws_queue.push_back(json::serialize(message));
    if (ws_queue.size() == 1) WriteNext();
  }

  void WriteNext() {
    ws.text(true);
    ws.async_write(asio::buffer(ws_queue.front()), [this](beast::error_code ec, std::size_t) {
      ws_queue.pop_front();
      if (ec) return;  // the read side notices a dead socket and ends the recording
      if (!ws_queue.empty()) WriteNext();
    });
  }

  void ReadSignalling() {
    ws_buffer.clear();
    ws.async_read(ws_buffer, [this](beast::error_code ec, std::size_t) {
      if (done) return;
      if (ec) return Finish("closed");
      boost::system::error_code parse_error;
      json::value value = json::parse(beast::buffers_to_string(ws_buffer.data()), parse_error);
      if (!parse_error && value.is_object()) OnSignalling(value.as_object());
      if (!done) ReadSignalling();
    });
  }

  void OnSignalling(const json::object& message) {
    const std::string_view type = message.at("content_type").as_string();
    if (type == "END") return Finish("END");
    if (type == "JOIN") {
      // Tracks are fixed once a file's header is written: the newcomer's first packet starts a
      // new segment (OnDatagram). Its video is asked for now, so that it flows by then.
      const json::object& p = message.at("participant").as_object();
      const int64_t id = p.at("participant_id").to_number<int64_t>();
      Remember(p, -1);
      if (!present.contains(id)) return;
      pending_ssrc[present[id].at("audio_ssrc").to_number<uint32_t>()] = id;
      if (static_cast<int>(video_feeds.size()) < owner.options_.max_video_feeds) {
        pending_ssrc[present[id].at("video_ssrc").to_number<uint32_t>()] = id;
        video_feeds.push_back(id);
        Send({{"content_type", "SUBSCRIBE"},
              {"meeting_id", owner.options_.meeting_id},
              {"publishers", json::array{id}}});
      }
      spdlog::info("recorder: meeting {}: {} joined; a new segment starts with their media",
                   owner.options_.meeting_id, std::string_view(p.at("display_name").as_string()));
    } else if (type == "LEAVE") {
      const json::value* id = message.if_contains("participant_id");
      if (id == nullptr || !id->is_number()) return;
      const int64_t who = id->to_number<int64_t>();
      present.erase(who);
      std::erase_if(pending_ssrc, [who](const auto& entry) { return entry.second == who; });
      std::erase(video_feeds, who);
    } else if (type == "ERROR") {
      spdlog::warn("recorder: meeting {}: signalling error: {}", owner.options_.meeting_id,
                   json::serialize(message));
    }
  }

  void ReceiveMedia() { receiver.Start(); }

  void OnMedia(std::span<uint8_t> datagram) {
    if (done) return;
    std::size_t size = datagram.size();
    if (Unprotect(datagram, &size)) OnDatagram(datagram.first(size));
  }

  // SRTP/SRTCP to plain RTP/RTCP in place in `packet`; false (dropped, counted) when it fails.
  bool Unprotect(std::span<uint8_t> packet, std::size_t* size) {
    if (!srtp_in) return true;
    const dp::DropReason reason =
        IsRtcp(packet) ? srtp_in->UnprotectRtcp(packet, size) : srtp_in->UnprotectRtp(packet, size);
    if (reason == dp::DropReason::kNone) return true;
    if (srtp_failures++ == 0) {
      spdlog::warn("recorder: meeting {}: SRTP unprotect failed ({}); such packets are dropped",
                   owner.options_.meeting_id, dp::Name(reason));
    }
    return false;
  }

  void OnDatagram(std::span<const uint8_t> packet) {
    const TimePoint now = MediaClock::now();
    if (IsRtcp(packet)) return recording->OnRtcp(packet, now);
    if (packet.size() < 12 || (packet[0] >> 6) != 2) return;
    const uint32_t ssrc = LoadBe32(packet.data() + 8);
    auto it = track_of_ssrc.find(ssrc);
    if (it == track_of_ssrc.end() && pending_ssrc.contains(ssrc)) {
      // A latecomer's media: this file cannot take a new track; continue in a new segment.
      if (!CloseSegment()) {
        spdlog::warn("recorder: meeting {}: the container writer failed: {}",
                     owner.options_.meeting_id, sink->error());
      }
      OpenSegment();
      it = track_of_ssrc.find(ssrc);
    }
    if (it == track_of_ssrc.end()) {
      ++result.packets_unknown_ssrc;
      return;
    }
    recording->OnRtp(it->second, packet, now);
  }

  void SchedulePoll() {
    poll_timer.expires_after(kPollInterval);
    poll_timer.async_wait([this](boost::system::error_code ec) {
      if (ec || done) return;
      if (owner.stop_.load()) return Finish("stopped");
      recording->Poll(MediaClock::now());
      SchedulePoll();
    });
  }

  void ScheduleHeartbeat(std::chrono::milliseconds interval) {
    heartbeat_timer.expires_after(interval);
    heartbeat_timer.async_wait([this, interval](boost::system::error_code ec) {
      if (ec || done) return;
      if (owner.options_.on_heartbeat) {
        try {
          owner.options_.on_heartbeat();
        } catch (const std::exception& e) {
          spdlog::warn("recorder: heartbeat: {}", e.what());
        }
      }
      ScheduleHeartbeat(interval);
    });
  }

  void Finish(std::string reason) {
    if (done) return;
    done = true;
    result.end_reason = std::move(reason);
    const bool sink_ok = CloseSegment();
    result.ok = std::all_of(result.segments.begin(), result.segments.end(),
                            [](const RecordedSegment& segment) { return segment.sink_ok; });
    if (!sink_ok) result.error = fmt::format("the container writer failed: {}", sink->error());
    if (sink_ok && !result.ok) result.error = "the container writer failed on an earlier segment";
    boost::system::error_code ignored;
    poll_timer.cancel();
    heartbeat_timer.cancel();
    receiver.Stop();
    udp_socket.close(ignored);
    ws.next_layer().close(ignored);  // the control plane's OnClosed makes the recorder leave
  }
};

MeetingRecorder::MeetingRecorder(MeetingRecorderOptions options)
    : options_(std::move(options)), state_(std::make_unique<State>(*this)) {}

MeetingRecorder::~MeetingRecorder() = default;

void MeetingRecorder::Stop() { stop_.store(true); }

MeetingRecorderResult MeetingRecorder::Run() {
  State& s = *state_;
  MeetingRecorderResult& result = s.result;
  try {
    const udp::endpoint bind_to(asio::ip::make_address(options_.media_address), 0);
    s.udp_socket.open(bind_to.protocol());
    s.udp_socket.set_option(
        asio::socket_base::receive_buffer_size(MediaReceiver::kReceiveBufferBytes));
    s.udp_socket.bind(bind_to);
    json::object users = s.Join(options_);
    const json::object& media = users.at("media").as_object();
    s.own_ssrc = media.at("audio_ssrc").to_number<uint32_t>();
    if (const json::value* srtp = media.if_contains("srtp")) {
      s.srtp_in = SrtpFrom(srtp->as_object(), "tx_key", dp::SrtpDirection::kInbound);
      s.srtp_out = SrtpFrom(srtp->as_object(), "rx_key", dp::SrtpDirection::kOutbound);
    } else if (options_.srtp) {
      throw std::runtime_error("signalling: MEETING_USERS has no SRTP keys for an SRTP join");
    }
    s.dataplane =
        udp::endpoint(asio::ip::make_address(std::string(media.at("address").as_string())),
                      media.at("port").to_number<uint16_t>());

    const int64_t self = users.at("self").to_number<int64_t>();
    for (const json::value& v : users.at("users").as_array()) s.Remember(v.as_object(), self);
    s.OpenSegment();

    if (!s.video_feeds.empty()) {
      json::array publishers;
      for (int64_t id : s.video_feeds) publishers.push_back(id);
      s.Send({{"content_type", "SUBSCRIBE"},
              {"meeting_id", options_.meeting_id},
              {"publishers", std::move(publishers)}});
    }
    s.ReadSignalling();
    s.ReceiveMedia();
    s.SchedulePoll();
    s.ScheduleHeartbeat(options_.heartbeat_interval);
    s.io.run();
    if (!s.done) s.Finish("closed");
  } catch (const std::exception& e) {
    if (s.recording && !s.done) s.Finish("failed");
    result.ok = false;
    result.error = e.what();
  }
  return result;
}

}  // namespace mgw::rec
