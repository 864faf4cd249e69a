// The recorder's media path end to end, under impairment and with skewed A/V: real
// mgw-dataplane (posix backend on 127.0.0.1), mgw-controlplane (SQLite) and mgw-recorder
// processes, participants joining over WebSocket signalling and sending real media (libopus,
// libvpx) over UDP, as in recorder_e2e_integration_test.cc.
//
// - Impairment: one participant's packets pass an `ImpairmentRelay` (two real UDP sockets and a
//   thread) that drops, holds back (reorders) and duplicates RTP with a seeded PRNG on its way to
//   the dataplane, and carries the dataplane's RTCP back to the participant. The file must still
//   be valid (ffprobe, ffmpeg decodes it without an error, durations within tolerance), video
//   must resume at keyframes, the recorder's PLIs must reach the sender, the manifest must list
//   the gaps, and both tones must still be there.
// - A/V offset: one participant sends audio and video whose RTP clocks start at unrelated random
//   bases and whose first packets are 300 ms apart, with sender reports tying both to one NTP
//   clock; a tone starts and the picture turns bright at the same instant. In the file the two
//   markers must be less than 20 ms apart, and the file and manifest must carry the offsets
//   applied.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api_client.h"
#include "child_process.h"
#include "controlplane_process.h"
#include "dataplane_process.h"
#include "media_fixture.h"
#include "mgw/control/control_server.h"
#include "mgw/rec/sender_report_clock.h"
#include "recorder_daemons.h"
#include "rtp_fixture.h"
#include "signalling_client.h"
#include "temp_dir.h"

namespace mgw::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
namespace rt = mgw::rec::testing;
using Clock = std::chrono::steady_clock;

constexpr const char* kPassword = "correct-horse-battery";
constexpr double kSeconds = 6.0;
constexpr uint8_t kOpusPayloadType = 111;
constexpr uint8_t kVp8PayloadType = 96;
constexpr int kFps = 30;
constexpr int kGop = 30;

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// A UDP socket bound to 127.0.0.1 (any port).
int BoundSocket() {
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in local = Loopback(0);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local), 0);
  return fd;
}

uint16_t PortOf(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.sin_port);
}

uint32_t Be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// The media SSRCs of the RFC 4585 PLIs in an RTCP compound packet.
std::vector<uint32_t> PliTargets(const uint8_t* data, size_t size) {
  std::vector<uint32_t> out;
  size_t at = 0;
  while (at + 4 <= size) {
    const size_t length = (size_t{data[at + 2]} << 8 | data[at + 3]) * 4 + 4;
    if (at + length > size) break;
    if (data[at + 1] == 206 && (data[at] & 0x1F) == 1 && length >= 12) {
      out.push_back(Be32(data + at + 8));
    }
    at += length;
  }
  return out;
}

bool IsRtcp(const uint8_t* data, size_t size) {
  return size >= 8 && data[1] >= 192 && data[1] <= 223;
}

// A participant's UDP socket: sends its media to the dataplane (or its relay).
class UdpSender {
 public:
  UdpSender(const std::string& address, uint16_t port) : fd_(BoundSocket()) {
    to_ = Loopback(port);
    inet_pton(AF_INET, address.c_str(), &to_.sin_addr);
  }
  ~UdpSender() { close(fd_); }
  void Send(const std::vector<uint8_t>& packet) {
    sendto(fd_, packet.data(), packet.size(), 0, reinterpret_cast<const sockaddr*>(&to_),
           sizeof to_);
  }

 private:
  int fd_ = -1;
  sockaddr_in to_{};
};

// Loss, reordering and duplication between a participant and the dataplane: the participant
// sends to `port()`; RTP goes on to the dataplane from a second socket (the address the dataplane
// latches) with the impairments drawn from a seeded PRNG, so a run is repeatable; RTCP passes
// untouched both ways (what the dataplane sends back reaches the participant's socket, and the
// PLIs in it are counted: what the sender saw).
class ImpairmentRelay {
 public:
  struct Options {
    double drop = 0;       // probability an RTP packet is dropped
    double reorder = 0;    // probability one is held back and sent after the next
    double duplicate = 0;  // probability one is sent twice
    uint32_t seed = 1;
  };

  ImpairmentRelay(const std::string& dataplane_address, uint16_t dataplane_port, Options options)
      : options_(options), random_(options.seed), front_(BoundSocket()), back_(BoundSocket()) {
    dataplane_ = Loopback(dataplane_port);
    inet_pton(AF_INET, dataplane_address.c_str(), &dataplane_.sin_addr);
    thread_ = std::thread([this] { Run(); });
  }
  ~ImpairmentRelay() {
    stop_ = true;
    thread_.join();
    close(front_);
    close(back_);
  }

  uint16_t port() const { return PortOf(front_); }
  int dropped() const { return dropped_; }
  int reordered() const { return reordered_; }
  int duplicated() const { return duplicated_; }
  int plis_for(uint32_t ssrc) const {
    std::lock_guard lock(mutex_);
    auto it = plis_.find(ssrc);
    return it == plis_.end() ? 0 : it->second;
  }

 private:
  void Run() {
    std::vector<uint8_t> held;
    sockaddr_in participant{};
    bool have_participant = false;
    uint8_t buffer[2048];
    while (!stop_) {
      pollfd fds[2] = {{front_, POLLIN, 0}, {back_, POLLIN, 0}};
      if (poll(fds, 2, 20) <= 0) continue;
      if (fds[0].revents & POLLIN) {
        sockaddr_in from{};
        socklen_t len = sizeof from;
        const ssize_t n =
            recvfrom(front_, buffer, sizeof buffer, 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n > 0) {
          participant = from;
          have_participant = true;
          Forward(std::vector<uint8_t>(buffer, buffer + n), held);
        }
      }
      if (fds[1].revents & POLLIN) {
        const ssize_t n = recv(back_, buffer, sizeof buffer, 0);
        if (n > 0 && IsRtcp(buffer, static_cast<size_t>(n))) {
          std::lock_guard lock(mutex_);
          for (uint32_t target : PliTargets(buffer, static_cast<size_t>(n))) ++plis_[target];
        }
        if (n > 0 && have_participant) {
          sendto(front_, buffer, static_cast<size_t>(n), 0,
                 reinterpret_cast<const sockaddr*>(&participant), sizeof participant);
        }
      }
    }
  }

  void Forward(const std::vector<uint8_t>& packet, std::vector<uint8_t>& held) {
    if (IsRtcp(packet.data(), packet.size())) return Send(packet);
    std::uniform_real_distribution<double> chance(0.0, 1.0);
    const double roll = chance(random_);
    if (roll < options_.drop) {
      ++dropped_;
      return;
    }
    if (held.empty() && roll < options_.drop + options_.reorder) {
      ++reordered_;
      held = packet;
      return;
    }
    Send(packet);
    if (roll > 1.0 - options_.duplicate) {
      ++duplicated_;
      Send(packet);
    }
    if (!held.empty()) {
      Send(held);
      held.clear();
    }
  }

  void Send(const std::vector<uint8_t>& packet) {
    sendto(back_, packet.data(), packet.size(), 0, reinterpret_cast<const sockaddr*>(&dataplane_),
           sizeof dataplane_);
  }

  Options options_;
  std::mt19937 random_;
  int front_ = -1;
  int back_ = -1;
  sockaddr_in dataplane_{};
  std::atomic<bool> stop_{false};
  std::atomic<int> dropped_{0};
  std::atomic<int> reordered_{0};
  std::atomic<int> duplicated_{0};
  mutable std::mutex mutex_;
  std::map<uint32_t, int> plis_;  // PLIs from the dataplane, by media SSRC
  std::thread thread_;
};

struct Participant {
  std::string email;
  std::string token;
  std::unique_ptr<SignallingClient> ws;
  int64_t id = 0;
  uint32_t audio_ssrc = 0;
  uint32_t video_ssrc = 0;
  std::unique_ptr<ImpairmentRelay> relay;  // between media and the dataplane, when impaired
  std::unique_ptr<UdpSender> media;
};

// One packet to send at `at` after the start.
struct Scheduled {
  Clock::duration at;
  Participant* from;
  std::vector<uint8_t> packet;
};

void SortSchedule(std::vector<Scheduled>& schedule) {
  std::stable_sort(schedule.begin(), schedule.end(),
                   [](const Scheduled& a, const Scheduled& b) { return a.at < b.at; });
}

// Sends the schedule in real time (media pacing, as a sender does; not synchronisation).
void Play(const std::vector<Scheduled>& schedule) {
  const auto start = Clock::now();
  for (const Scheduled& s : schedule) {
    std::this_thread::sleep_until(start + s.at);
    s.from->media->Send(s.packet);
  }
}

// Audio (`tone`) and VP8 video (`vp8`) of one participant: audio captured from `audio_at`,
// video from `video_at` after the start, each stream on its own random RTP base, with sender
// reports every second mapping both onto one NTP clock (capture time since the start). Video
// packets leave `video_latency` after their capture (an encoder's and pacer's delay), so their
// arrival is not their capture time and only the sender reports can place them.
void ScheduleParticipant(Participant& p, const std::vector<rt::EncodedMediaFrame>& tone,
                         const std::vector<rt::EncodedMediaFrame>& vp8, Clock::duration audio_at,
                         Clock::duration video_at, Clock::duration video_latency,
                         std::mt19937& random, std::vector<Scheduled>& out) {
  const uint32_t audio_base = static_cast<uint32_t>(random());
  const uint32_t video_base = static_cast<uint32_t>(random());
  const int64_t ntp0 = 3'900'000'000LL * 1'000'000;
  const auto micros = [](Clock::duration d) {
    return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  };
  for (int s = 0; s < static_cast<int>(kSeconds); ++s) {
    const Clock::duration audio_sr = audio_at + std::chrono::seconds(s);
    const Clock::duration video_sr = video_at + std::chrono::seconds(s);
    out.push_back({audio_sr, &p,
                   rt::SenderReport(p.audio_ssrc, rec::MicrosToNtp(ntp0 + micros(audio_sr)),
                                    audio_base + static_cast<uint32_t>(s * 48000))});
    out.push_back({video_sr, &p,
                   rt::SenderReport(p.video_ssrc, rec::MicrosToNtp(ntp0 + micros(video_sr)),
                                    video_base + static_cast<uint32_t>(s * 90000))});
  }
  auto seq = static_cast<uint16_t>(random());
  for (const auto& f : tone) {
    out.push_back({audio_at + std::chrono::microseconds(f.rtp_timestamp * 1'000'000LL / 48000), &p,
                   rt::Rtp({.ssrc = p.audio_ssrc,
                            .seq = seq++,
                            .timestamp = audio_base + f.rtp_timestamp,
                            .payload_type = kOpusPayloadType},
                           f.data)});
  }
  auto vseq = static_cast<uint16_t>(random());
  for (const auto& f : vp8) {
    const auto packets = rt::PacketizeVp8(f.data, 1000);
    for (size_t i = 0; i < packets.size(); ++i) {
      out.push_back({video_at + video_latency +
                         std::chrono::microseconds(f.rtp_timestamp * 1'000'000LL / 90000),
                     &p,
                     rt::Rtp({.ssrc = p.video_ssrc,
                              .seq = vseq++,
                              .timestamp = video_base + f.rtp_timestamp,
                              .payload_type = kVp8PayloadType,
                              .marker = i + 1 == packets.size()},
                             packets[i])});
    }
  }
}

class RecorderMediaE2eTest : public RecorderDaemonsTest {
 protected:
  RecorderMediaE2eTest() : RecorderDaemonsTest("mgw-recorder-media-e2e", "rec-media-test") {}

  void SetUp() override { StartDaemons(); }

  // Joins with plain RTP; with `impairment`, its media passes an ImpairmentRelay.
  std::unique_ptr<Participant> Join(const std::string& name, bool create,
                                    std::optional<ImpairmentRelay::Options> impairment) {
    auto p = std::make_unique<Participant>();
    p->email = name + "@example.com";
    api_->SignUp(p->email, kPassword);
    p->token = api_->Login(p->email, kPassword);
    if (create) {
      auto reply = api_->Call("POST", "/meeting", R"({"title":"recorded"})", p->token);
      EXPECT_EQ(reply.status, 201) << reply.body;
      meeting_id_ = std::string(reply.Json().at("id").as_string());
    }
    p->ws = std::make_unique<SignallingClient>(controlplane_->port(), p->token);
    p->ws->Send({{"content_type", "JOIN"},
                 {"meeting_id", meeting_id_},
                 {"display_name", name},
                 {"encryption", "none"}});
    json::object users = p->ws->Expect("MEETING_USERS");
    if (users.empty()) return p;
    p->id = users.at("self").to_number<int64_t>();
    const json::object& media = users.at("media").as_object();
    p->audio_ssrc = media.at("audio_ssrc").to_number<uint32_t>();
    p->video_ssrc = media.at("video_ssrc").to_number<uint32_t>();
    const std::string address(media.at("address").as_string());
    const auto port = media.at("port").to_number<uint16_t>();
    if (impairment) {
      p->relay = std::make_unique<ImpairmentRelay>(address, port, *impairment);
      p->media = std::make_unique<UdpSender>("127.0.0.1", p->relay->port());
    } else {
      p->media = std::make_unique<UdpSender>(address, port);
    }
    return p;
  }

  // Starts the recording and waits until the dataplane sends the publishers' video to the
  // recorder (its SUBSCRIBE took effect). A first sender report from each latches its address.
  bool StartRecording(const std::vector<Participant*>& publishers) {
    for (Participant* p : publishers) p->media->Send(rt::SenderReport(p->audio_ssrc, 0, 0));
    auto record = api_->Call("POST", "/meeting/record/" + meeting_id_, "", publishers[0]->token);
    EXPECT_EQ(record.status, 200) << record.body;
    int64_t recorder_id = 0;
    while (recorder_id == 0) {
      json::object join = publishers[0]->ws->Expect("JOIN");
      if (join.empty()) return false;
      const json::object& who = join.at("participant").as_object();
      if (who.at("role").as_string() == "recorder") {
        recorder_id = who.at("participant_id").as_int64();
      }
    }
    const auto deadline = Clock::now() + 30s;
    while (Clock::now() < deadline) {
      control::ControlClient client(runtime_dir() + "/dataplane.sock");
      json::object stats = client.Call(control::StatsQuery{"p" + std::to_string(recorder_id)});
      std::set<std::string> video_from;
      for (const auto& p : stats.at("participants").as_array()) {
        for (const auto& leg : p.at("legs").as_array()) {
          if (leg.at("kind") == "video") {
            video_from.insert(std::string(leg.at("publisher").as_string()));
          }
        }
      }
      if (std::all_of(publishers.begin(), publishers.end(), [&](Participant* x) {
            return video_from.contains("p" + std::to_string(x->id));
          })) {
        return true;
      }
      std::this_thread::sleep_for(50ms);  // polling an observable condition, with a deadline
    }
    return false;
  }

  // Ends the meeting and returns the recording once it is done or failed (polled, deadline).
  std::optional<json::object> EndAndWait(Participant& host) {
    host.ws->Send({{"content_type", "END"}, {"meeting_id", meeting_id_}});
    const auto deadline = Clock::now() + 60s;
    while (Clock::now() < deadline) {
      auto reply = api_->Call("GET", "/recordings", "", admin_token_);
      EXPECT_EQ(reply.status, 200) << reply.body;
      if (reply.status != 200) return std::nullopt;
      const json::value body = reply.Json();
      for (const auto& item : body.at("items").as_array()) {
        const json::object& r = item.as_object();
        if (r.at("meeting_id").as_string() != meeting_id_) continue;
        const std::string_view state = r.at("state").as_string();
        if (state == "done" || state == "failed") return r;
      }
      std::this_thread::sleep_for(100ms);
    }
    return std::nullopt;
  }
};

std::string PathOf(const json::object& recording) {
  const std::string location(recording.at("location").as_string());
  EXPECT_TRUE(location.starts_with("file://")) << location;
  return location.substr(std::string("file://").size());
}

json::object ReadManifest(const std::string& path) {
  std::filesystem::path manifest_path(path);
  manifest_path.replace_extension(".manifest.json");
  std::ifstream in(manifest_path);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  return json::parse(text).as_object();
}

// The manifest's stream whose label starts with `name` and ends with `kind`.
const json::object* ManifestStream(const json::object& manifest, const std::string& name,
                                   const std::string& kind) {
  for (const auto& s : manifest.at("streams").as_array()) {
    const std::string label(s.at("label").as_string());
    if (label.starts_with(name + " ") && label.ends_with(" " + kind)) return &s.as_object();
  }
  return nullptr;
}

struct ProbedPacket {
  double pts = 0;
  double duration = 0;
  bool keyframe = false;
};

// ffprobe's streams (codec names) and each stream's packets.
std::vector<std::pair<std::string, std::vector<ProbedPacket>>> Probe(const std::string& path) {
  std::string out;
  EXPECT_EQ(rt::RunCommand("ffprobe -v error -of json -show_streams '" + path + "'", &out), 0)
      << out;
  boost::system::error_code ec;
  json::value info = json::parse(out, ec);
  std::vector<std::pair<std::string, std::vector<ProbedPacket>>> streams;
  if (ec || !info.is_object() || !info.as_object().contains("streams")) {
    ADD_FAILURE() << "ffprobe " << path << ": " << out;
    return streams;
  }
  for (const auto& s : info.at("streams").as_array()) {
    streams.push_back({std::string(s.at("codec_name").as_string()), {}});
  }
  std::string packets;
  rt::RunCommand(
      "ffprobe -v error -of json -show_entries packet=stream_index,pts_time,duration_time,flags '" +
          path + "'",
      &packets);
  const json::value packet_list = json::parse(packets);
  for (const auto& p : packet_list.at("packets").as_array()) {
    auto& s = streams.at(static_cast<size_t>(p.at("stream_index").as_int64()));
    ProbedPacket packet;
    packet.pts = std::stod(std::string(p.at("pts_time").as_string()));
    if (const auto* d = p.as_object().if_contains("duration_time")) {
      packet.duration = std::stod(std::string(d->as_string()));
    }
    if (s.first == "vp8") packet.duration = 1.0 / kFps;
    packet.keyframe = std::string_view(p.at("flags").as_string()).find('K') != std::string::npos;
    s.second.push_back(packet);
  }
  return streams;
}

TEST_F(RecorderMediaE2eTest, LossReorderingAndDuplicationLeaveAValidFileWithItsGapsListed) {
  // With the audio mix on: it decodes the impaired stream too (FEC/PLC over the losses).
  auto recorder = StartRecorder({{"MGW_RECORDER_MIX_AUDIO", "true"}});
  // alice's media crosses the impairment relay: 3 % loss, 3 % held back, 2 % duplicated.
  auto alice = Join(
      "alice", true,
      ImpairmentRelay::Options{.drop = 0.03, .reorder = 0.03, .duplicate = 0.02, .seed = 20261123});
  auto bob = Join("bob", false, std::nullopt);
  ASSERT_NE(alice->id, 0);
  ASSERT_NE(bob->id, 0);
  ASSERT_FALSE(alice->ws->Expect("JOIN").empty());  // bob
  const std::vector<Participant*> both = {alice.get(), bob.get()};
  ASSERT_TRUE(StartRecording(both)) << recorder->output();

  std::mt19937 random(7);
  std::vector<Scheduled> schedule;
  const auto vp8 = rt::EncodeVp8(320, 240, kFps, kSeconds, kGop);
  ScheduleParticipant(*alice, rt::EncodeOpusTone(440.0, kSeconds), vp8, 0ms, 0ms, 0ms, random,
                      schedule);
  ScheduleParticipant(*bob, rt::EncodeOpusTone(660.0, kSeconds), vp8, 0ms, 0ms, 0ms, random,
                      schedule);
  SortSchedule(schedule);
  Play(schedule);
  std::printf("relay: %d dropped, %d reordered, %d duplicated\n", alice->relay->dropped(),
              alice->relay->reordered(), alice->relay->duplicated());
  EXPECT_GT(alice->relay->dropped(), 0);
  EXPECT_GT(alice->relay->reordered(), 0);
  EXPECT_GT(alice->relay->duplicated(), 0);

  std::optional<json::object> done = EndAndWait(*alice);
  ASSERT_TRUE(done) << recorder->output();
  ASSERT_EQ(done->at("state").as_string(), "done") << json::serialize(*done);
  const std::string path = PathOf(*done);

  // The recorder asked for keyframes and the PLIs reached alice through the dataplane.
  EXPECT_GT(alice->relay->plis_for(alice->video_ssrc), 0) << recorder->output();

  // The file is valid: ffmpeg decodes every stream without an error.
  std::string errors;
  EXPECT_EQ(rt::RunCommand("ffmpeg -nostdin -v error -i '" + path + "' -f null - 2>&1", &errors),
            0);
  EXPECT_EQ(errors, "");

  // Each participant's Opus and VP8, then the mix (added last).
  const auto streams = Probe(path);
  ASSERT_EQ(streams.size(), 5u) << recorder->output();
  for (size_t index = 0; index < streams.size(); ++index) {
    const auto& [codec, packets] = streams[index];
    ASSERT_FALSE(packets.empty()) << codec;
    const double first = packets.front().pts;
    double end = 0;
    for (const ProbedPacket& p : packets) end = std::max(end, p.pts + p.duration);
    std::printf("%s: %.3f..%.3f s, %zu packets\n", codec.c_str(), first, end, packets.size());
    if (index == 4) {
      // The mix runs from the file's start to the end of the last audio.
      EXPECT_EQ(codec, "opus");
      EXPECT_NEAR(first, 0, 0.001);
      EXPECT_GE(end, std::max(streams[0].second.back().pts, streams[2].second.back().pts));
      continue;
    }
    if (codec == "opus") {
      // A lost packet at either end may shorten it by a frame or two.
      EXPECT_NEAR(end - first, kSeconds, 0.1) << codec;
      continue;
    }
    // Video starts on a keyframe and resumes only at keyframes after a hole: a frame missing a
    // packet is dropped with everything up to the next keyframe (the sender's GOP is 1 s, and it
    // does not answer PLI with a keyframe sooner). So it spans all but at most the last GOP.
    EXPECT_TRUE(packets.front().keyframe);
    EXPECT_LE(first, 1.1);
    EXPECT_GE(end, kSeconds - 1.1);
    for (size_t i = 1; i < packets.size(); ++i) {
      if (packets[i].pts - packets[i - 1].pts > 1.5 / kFps) {
        EXPECT_TRUE(packets[i].keyframe) << codec << " resumes at " << packets[i].pts;
      }
    }
  }

  // The manifest lists alice's losses as gaps, and nothing for bob.
  const json::object manifest = ReadManifest(path);
  for (const char* kind : {"audio", "video"}) {
    const json::object* a = ManifestStream(manifest, "alice", kind);
    const json::object* b = ManifestStream(manifest, "bob", kind);
    ASSERT_NE(a, nullptr) << json::serialize(manifest);
    ASSERT_NE(b, nullptr) << json::serialize(manifest);
    EXPECT_GT(a->at("packets_lost").to_number<int64_t>(), 0) << kind;
    EXPECT_FALSE(a->at("gaps").as_array().empty()) << kind;
    EXPECT_EQ(b->at("packets_lost").to_number<int64_t>(), 0) << kind;
    EXPECT_TRUE(b->at("gaps").as_array().empty()) << kind;
  }
  EXPECT_GT(
      ManifestStream(manifest, "alice", "video")->at("keyframe_requests").to_number<int64_t>(), 0);

  // Both tones are still there, each in one audio stream only.
  std::vector<double> found;
  for (int nth = 0; nth < 2; ++nth) {
    const std::vector<float> samples = rt::DecodeOpusTrack(path, nth);
    ASSERT_GT(samples.size(), 48000u * 4);
    const std::vector<float> middle(samples.begin() + 48000, samples.begin() + 4 * 48000L);
    const double p440 = rt::GoertzelPower(middle, 440.0, 48000);
    const double p660 = rt::GoertzelPower(middle, 660.0, 48000);
    std::printf("audio %d: 440 Hz / 660 Hz power ratio %.1f\n", nth, p440 / p660);
    found.push_back(p440 > 100 * p660 ? 440.0 : p660 > 100 * p440 ? 660.0 : 0.0);
  }
  std::sort(found.begin(), found.end());
  EXPECT_EQ(found, (std::vector<double>{440.0, 660.0}));

  // The mix (third audio stream) has both tones, well above a frequency nobody sent.
  const std::vector<float> mix = rt::DecodeOpusTrack(path, 2);
  ASSERT_GT(mix.size(), 48000u * 5);
  const std::vector<float> window(mix.end() - 4 * 48000L, mix.end() - 48000L);
  const double m440 = rt::GoertzelPower(window, 440.0, 48000);
  const double m660 = rt::GoertzelPower(window, 660.0, 48000);
  const double m550 = rt::GoertzelPower(window, 550.0, 48000);
  std::printf("mix: 440 Hz / 660 Hz %.2f, 440 Hz / 550 Hz %.1f\n", m440 / m660, m440 / m550);
  EXPECT_GT(m440, 0.1 * m660);
  EXPECT_GT(m660, 0.1 * m440);
  EXPECT_GT(m440, 100 * m550);
  EXPECT_GT(m660, 100 * m550);
  const json::object& mixed = manifest.at("mix").as_object();
  EXPECT_EQ(mixed.at("index").to_number<int64_t>(), 4);
  EXPECT_EQ(mixed.at("sources").to_number<int64_t>(), 2);
  EXPECT_GT(mixed.at("frames_decoded").to_number<int64_t>(), 500);
  EXPECT_GT(mixed.at("concealed_ms").to_number<double>() +
                mixed.at("frames_fec_recovered").to_number<double>(),
            0);  // alice's losses were filled in
}

TEST_F(RecorderMediaE2eTest, AudioAndVideoStartedApartAreAlignedWithin20Milliseconds) {
  auto recorder = StartRecorder();
  auto carol = Join("carol", true, std::nullopt);
  ASSERT_NE(carol->id, 0);
  ASSERT_TRUE(StartRecording({carol.get()})) << recorder->output();

  // Capture time 0: audio starts; 300 ms: video starts. The markers are at capture time 2.0 s:
  // the tone starts 2.0 s into the audio, the picture turns bright at video frame 51 (0.3 + 51/30
  // s). Video packets leave 120 ms after capture: placed by arrival, the flash would be 120 ms
  // late.
  constexpr double kVideoStart = 0.3;
  constexpr double kMarker = 2.0;
  const int flash_frame = static_cast<int>(std::lround((kMarker - kVideoStart) * kFps));
  std::mt19937 random(20261123);
  std::vector<Scheduled> schedule;
  ScheduleParticipant(*carol, rt::EncodeOpusTone(440.0, kSeconds, kMarker),
                      rt::EncodeVp8(320, 240, kFps, kSeconds - kVideoStart, kGop, flash_frame), 0ms,
                      std::chrono::milliseconds(std::lround(kVideoStart * 1000)), 120ms, random,
                      schedule);
  SortSchedule(schedule);
  Play(schedule);

  std::optional<json::object> done = EndAndWait(*carol);
  ASSERT_TRUE(done) << recorder->output();
  ASSERT_EQ(done->at("state").as_string(), "done") << json::serialize(*done);
  const std::string path = PathOf(*done);

  const double tone = rt::ToneOnsetSeconds(path, 0, 0.1f, rt::OpusEncoderLookahead());
  const double flash = rt::BrightFrameSeconds(path, 0);
  ASSERT_GE(tone, 0);
  ASSERT_GE(flash, 0);
  std::printf("tone onset at %.4f s, bright frame at %.4f s: offset %.1f ms\n", tone, flash,
              (flash - tone) * 1000);
  EXPECT_LT(std::fabs(flash - tone), 0.020);

  // The offsets applied are in the manifest (aligned by sender reports) and in the file (stream
  // tag MGW_AV_OFFSET_US).
  const json::object manifest = ReadManifest(path);
  for (const char* kind : {"audio", "video"}) {
    const json::object* s = ManifestStream(manifest, "carol", kind);
    ASSERT_NE(s, nullptr) << json::serialize(manifest);
    EXPECT_TRUE(s->at("sender_report_aligned").as_bool()) << kind;
    EXPECT_TRUE(s->contains("av_offset_applied_ms")) << kind;
    std::printf("%s: start %.1f ms, A/V offset applied %.1f ms\n", kind,
                s->at("start_ms").to_number<double>(),
                s->at("av_offset_applied_ms").to_number<double>());
  }
  const double audio_start =
      ManifestStream(manifest, "carol", "audio")->at("start_ms").to_number<double>();
  const double video_start =
      ManifestStream(manifest, "carol", "video")->at("start_ms").to_number<double>();
  EXPECT_NEAR(video_start - audio_start, kVideoStart * 1000, 20);
  std::string tags;
  rt::RunCommand("ffprobe -v error -of json -show_entries stream_tags '" + path + "'", &tags);
  EXPECT_NE(tags.find("MGW_AV_OFFSET_US"), std::string::npos) << tags;
}

}  // namespace
}  // namespace mgw::testing
