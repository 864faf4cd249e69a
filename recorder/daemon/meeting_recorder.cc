#include "meeting_recorder.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

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

#include "mgw/rec/manifest.h"
#include "mgw/rec/matroska_sink.h"

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
  udp::socket udp_socket{io};
  asio::steady_timer poll_timer{io};
  asio::steady_timer heartbeat_timer{io};
  beast::flat_buffer ws_buffer;
  std::deque<std::string> ws_queue;  // one async write at a time
  std::array<uint8_t, 2048> rx{};
  udp::endpoint rx_from;
  udp::endpoint dataplane;
  uint32_t own_ssrc = 0;  // the sender SSRC of our PLIs (allocated to us, never published)

  std::unique_ptr<MatroskaSink> sink;
  std::unique_ptr<Recording> recording;
  std::map<uint32_t, int> track_of_ssrc;
  MeetingRecorderResult result;
  bool done = false;

  void OnKeyframeNeeded(int, uint32_t ssrc) override {
    // RFC 4585 PLI: V=2, FMT=1, PT=206, length 2, sender SSRC, media SSRC (as we receive it).
    std::array<uint8_t, 12> pli{0x81, 206, 0, 2};
    StoreBe32(pli.data() + 4, own_ssrc);
    StoreBe32(pli.data() + 8, ssrc);
    boost::system::error_code ec;
    udp_socket.send_to(asio::buffer(pli), dataplane, 0, ec);
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
             {"encryption", "none"},
             {"address", address}});
    return Await("MEETING_USERS");
  }

  std::vector<int64_t> AddTracks(const json::object& users, int max_video_feeds) {
    std::vector<int64_t> video_feeds;
    const int64_t self = users.at("self").to_number<int64_t>();
    for (const json::value& v : users.at("users").as_array()) {
      const json::object& user = v.as_object();
      const int64_t id = user.at("participant_id").to_number<int64_t>();
      if (id == self || user.at("role").as_string() == "recorder") continue;
      const json::value* audio = user.if_contains("audio_ssrc");
      const json::value* video = user.if_contains("video_ssrc");
      if (audio == nullptr || video == nullptr) continue;  // joined over HTTP only: no media
      const std::string group = fmt::format("p{}", id);
      track_of_ssrc[audio->to_number<uint32_t>()] =
          recording->AddTrack({Label(user, "audio"), Codec::kOpus, group});
      if (static_cast<int>(video_feeds.size()) < max_video_feeds) {
        track_of_ssrc[video->to_number<uint32_t>()] =
            recording->AddTrack({Label(user, "video"), Codec::kVp8, group});
        video_feeds.push_back(id);
      }
    }
    return video_feeds;
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
      // Tracks are fixed when the file header is written; a newcomer is not in this file (see
      // recorder/README.md, "Not done yet").
      const json::object& p = message.at("participant").as_object();
      spdlog::warn("recorder: meeting {}: {} joined after the recording started; not recorded",
                   owner.options_.meeting_id, std::string_view(p.at("display_name").as_string()));
    } else if (type == "ERROR") {
      spdlog::warn("recorder: meeting {}: signalling error: {}", owner.options_.meeting_id,
                   json::serialize(message));
    }
  }

  void ReceiveMedia() {
    udp_socket.async_receive_from(asio::buffer(rx), rx_from,
                                  [this](boost::system::error_code ec, std::size_t size) {
                                    if (done) return;
                                    if (!ec) OnDatagram(std::span(rx.data(), size));
                                    ReceiveMedia();
                                  });
  }

  void OnDatagram(std::span<const uint8_t> packet) {
    const TimePoint now = MediaClock::now();
    if (IsRtcp(packet)) return recording->OnRtcp(packet, now);
    if (packet.size() < 12 || (packet[0] >> 6) != 2) return;
    auto it = track_of_ssrc.find(LoadBe32(packet.data() + 8));
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
    const bool sink_ok = recording->Finish(MediaClock::now());
    result.summary = recording->Summary();
    result.ok = sink_ok;
    if (!sink_ok) result.error = fmt::format("the container writer failed: {}", sink->error());
    boost::system::error_code ignored;
    poll_timer.cancel();
    heartbeat_timer.cancel();
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
    s.udp_socket.set_option(asio::socket_base::receive_buffer_size(4 << 20));
    s.udp_socket.bind(bind_to);
    json::object users = s.Join(options_);
    const json::object& media = users.at("media").as_object();
    s.own_ssrc = media.at("audio_ssrc").to_number<uint32_t>();
    s.dataplane =
        udp::endpoint(asio::ip::make_address(std::string(media.at("address").as_string())),
                      media.at("port").to_number<uint16_t>());

    const auto epoch_now = std::chrono::system_clock::now().time_since_epoch();
    result.epoch_start_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(epoch_now).count();
    result.file_name = RecordingFileName(options_.meeting_id, result.epoch_start_ms);
    result.file_path = (std::filesystem::path(options_.output_dir) / result.file_name).string();
    s.sink = std::make_unique<MatroskaSink>(MatroskaSink::Options{.path = result.file_path});
    s.recording = std::make_unique<Recording>(*s.sink, MediaClock::now(), options_.recording, &s);
    const std::vector<int64_t> feeds = s.AddTracks(users, options_.max_video_feeds);
    spdlog::info("recorder: meeting {}: {} track(s) into {}", options_.meeting_id,
                 s.track_of_ssrc.size(), result.file_path);
    if (options_.on_file) options_.on_file(result.file_name);

    if (!feeds.empty()) {
      json::array publishers;
      for (int64_t id : feeds) publishers.push_back(id);
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
