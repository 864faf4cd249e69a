// The recorder end to end: real mgw-dataplane (posix backend on 127.0.0.1), mgw-controlplane
// (SQLite) and mgw-recorder processes. Two participants join over WebSocket signalling and send
// real media from UDP sockets: a libopus tone each (440 Hz and 660 Hz) and libvpx VP8, with RTCP
// sender reports. The host asks for the recording; mgw-recorder claims it from the control plane
// (recorder secret generated into the shared runtime_dir), joins with RECORD_JOIN, subscribes to
// both video feeds and records; the host sends END; the recorder finishes the file, writes the
// manifest and reports completion; the control plane deletes the meeting. The file is checked
// with ffprobe (streams, codecs, durations within 1 % of what was sent), both tones are found
// again (Goertzel), and the manifest's SHA-256 matches the file. A second test SIGKILLs the
// recorder mid-recording: the file still plays, and a restarted recorder delivers it.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api_client.h"
#include "child_process.h"
#include "controlplane_process.h"
#include "dataplane_process.h"
#include "http_fetch.h"
#include "media_fixture.h"
#include "mgw/common/http_server.h"
#include "mgw/control/control_server.h"
#include "mgw/rec/manifest.h"
#include "mgw/rec/sender_report_clock.h"
#include "mgw/rec/upload_journal.h"
#include "recorder_daemons.h"
#include "rtp_fixture.h"
#include "signalling_client.h"
#include "smtp_sink.h"
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

class UdpSender {
 public:
  UdpSender(const std::string& address, uint16_t port) {
    fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local), 0);
    to_.sin_family = AF_INET;
    to_.sin_port = htons(port);
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

struct Participant {
  std::string email;
  std::string token;
  std::unique_ptr<SignallingClient> ws;
  int64_t id = 0;
  uint32_t audio_ssrc = 0;
  uint32_t video_ssrc = 0;
  double tone_hz = 0;
  std::unique_ptr<UdpSender> media;
};

// One packet to send at `at` after the start.
struct Scheduled {
  Clock::duration at;
  Participant* from;
  std::vector<uint8_t> packet;
};

class RecorderE2eTest : public RecorderDaemonsTest {
 protected:
  RecorderE2eTest() : RecorderDaemonsTest("mgw-recorder-e2e", "rec-test") {}

  void SetUp() override {
    // A real HTTP server receives the recording.ready webhook.
    http::ServerOptions hook_options;
    hook_options.address = "127.0.0.1";
    hook_options.port = 0;
    webhook_ = std::make_unique<http::Server>(hook_options, [this](const http::Request& r) {
      std::lock_guard lock(webhook_mutex_);
      webhook_bodies_.push_back(r.body);
      return http::Response{204, "application/json", {}, ""};
    });
    webhook_->Start();
    Env env{{"MGW_NOTIFICATIONS_RECORDING_WEBHOOK_URL",
             "http://127.0.0.1:" + std::to_string(webhook_->port()) + "/hooks/mgw"}};
#ifdef MGW_NODE_EXECUTABLE
    // A real SMTP server receives the recipients' emails.
    smtp_ = std::make_unique<mgw::testing::SmtpSink>(MGW_NODE_EXECUTABLE);
    env.emplace_back("MGW_NOTIFICATIONS_SMTP_URL", smtp_->url());
#endif
    StartDaemons(std::move(env));
  }

  std::unique_ptr<Participant> Join(const std::string& name, double tone_hz,
                                    const std::string& meeting_id, bool create) {
    auto p = std::make_unique<Participant>();
    p->email = name + "@example.com";
    p->tone_hz = tone_hz;
    api_->SignUp(p->email, kPassword);
    p->token = api_->Login(p->email, kPassword);
    if (create) {
      auto reply = api_->Call("POST", "/meeting", R"({"title":"recorded"})", p->token);
      EXPECT_EQ(reply.status, 201) << reply.body;
      meeting_id_ = std::string(reply.Json().at("id").as_string());
    }
    p->ws = std::make_unique<SignallingClient>(controlplane_->port(), p->token);
    p->ws->Send({{"content_type", "JOIN"},
                 {"meeting_id", create ? meeting_id_ : meeting_id},
                 {"display_name", name},
                 {"encryption", "none"}});
    json::object users = p->ws->Expect("MEETING_USERS");
    if (users.empty()) return p;
    p->id = users.at("self").to_number<int64_t>();
    const json::object& media = users.at("media").as_object();
    p->audio_ssrc = media.at("audio_ssrc").to_number<uint32_t>();
    p->video_ssrc = media.at("video_ssrc").to_number<uint32_t>();
    p->media = std::make_unique<UdpSender>(std::string(media.at("address").as_string()),
                                           media.at("port").to_number<uint16_t>());
    return p;
  }

  // The dataplane sends both publishers' video to the recorder (its SUBSCRIBE took effect).
  bool RecorderReceivesVideo(int64_t recorder_id, const std::vector<Participant*>& publishers) {
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

  // kSeconds of Opus and VP8 per participant, in send order, with a sender report for each
  // stream at the start and every second (one NTP clock for everyone).
  std::vector<Scheduled> Schedule(const std::vector<Participant*>& participants) {
    std::vector<Scheduled> out;
    const auto vp8 = rt::EncodeVp8(320, 240, 30, kSeconds, 30);
    const int64_t ntp0 = 3'900'000'000LL * 1'000'000;
    for (Participant* p : participants) {
      const auto opus = rt::EncodeOpusTone(p->tone_hz, kSeconds);
      const uint32_t audio_base = 1000 + static_cast<uint32_t>(p->id) * 7;
      const uint32_t video_base = 90000 + static_cast<uint32_t>(p->id) * 11;
      for (int s = 0; s < static_cast<int>(kSeconds); ++s) {
        const auto at = std::chrono::seconds(s);
        out.push_back({at, p,
                       rt::SenderReport(p->audio_ssrc, rec::MicrosToNtp(ntp0 + s * 1'000'000LL),
                                        audio_base + static_cast<uint32_t>(s * 48000))});
        out.push_back({at, p,
                       rt::SenderReport(p->video_ssrc, rec::MicrosToNtp(ntp0 + s * 1'000'000LL),
                                        video_base + static_cast<uint32_t>(s * 90000))});
      }
      uint16_t seq = 100;
      for (const auto& f : opus) {
        out.push_back({std::chrono::microseconds(f.rtp_timestamp * 1'000'000LL / 48000), p,
                       rt::Rtp({.ssrc = p->audio_ssrc,
                                .seq = seq++,
                                .timestamp = audio_base + f.rtp_timestamp,
                                .payload_type = kOpusPayloadType},
                               f.data)});
      }
      uint16_t vseq = 65000;  // wraps during the recording
      for (const auto& f : vp8) {
        const auto packets = rt::PacketizeVp8(f.data, 1000);
        for (size_t i = 0; i < packets.size(); ++i) {
          out.push_back({std::chrono::microseconds(f.rtp_timestamp * 1'000'000LL / 90000), p,
                         rt::Rtp({.ssrc = p->video_ssrc,
                                  .seq = vseq++,
                                  .timestamp = video_base + f.rtp_timestamp,
                                  .payload_type = kVp8PayloadType,
                                  .marker = i + 1 == packets.size()},
                                 packets[i])});
        }
      }
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const Scheduled& a, const Scheduled& b) { return a.at < b.at; });
    return out;
  }

  // Sends the schedule in real time (media pacing, as a sender does; not synchronisation), up
  // to `until` after the start; from `from` on when the part before it was played already.
  static void Play(const std::vector<Scheduled>& schedule, Clock::duration until,
                   Clock::duration from = Clock::duration::zero()) {
    const auto start = Clock::now();
    for (const Scheduled& s : schedule) {
      if (s.at > until) break;
      if (from > Clock::duration::zero() && s.at <= from) continue;
      std::this_thread::sleep_until(start + (s.at - from));
      s.from->media->Send(s.packet);
    }
  }

  // The meeting's .mkv files in the output folder, oldest first (the names end in the epoch).
  std::vector<std::filesystem::path> RecordedFiles() const {
    std::vector<std::filesystem::path> files;
    for (const auto& entry : std::filesystem::directory_iterator(output_dir())) {
      if (entry.path().extension() == ".mkv") files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
  }

  // s3rver on port 0 with the bucket "recordings"; its endpoint, or empty when it did not start.
  std::string StartS3rver() {
#ifdef MGW_NODE_EXECUTABLE
    ChildProcess::Options options;
    options.args = {MGW_NODE_EXECUTABLE,
                    SourcePath("node_modules/s3rver/bin/s3rver.js"),
                    "-d",
                    dir_.File("s3"),
                    "-a",
                    "127.0.0.1",
                    "-p",
                    "0",
                    "--configure-bucket",
                    "recordings"};
    s3rver_ = std::make_unique<ChildProcess>(std::move(options));
    auto listening = s3rver_->WaitForLine(std::regex(R"(listening on 127\.0\.0\.1:(\d+))"), 30s);
    if (!listening) return "";
    s3_port_ = static_cast<uint16_t>(std::stoi((*listening)[1].str()));
    return "http://127.0.0.1:" + std::to_string(s3_port_);
#else
    return "";
#endif
  }

  std::vector<std::pair<std::string, std::string>> S3Env(const std::string& endpoint) const {
    return {{"MGW_RECORDER_S3_ENDPOINT", endpoint},
            {"MGW_RECORDER_S3_BUCKET", "recordings"},
            {"MGW_RECORDER_S3_ACCESS_KEY_ID", "S3RVER"},
            {"MGW_RECORDER_S3_SECRET_ACCESS_KEY", "S3RVER"},
            {"MGW_RECORDER_S3_PART_SIZE_BYTES", "16384"},  // s3rver takes parts under 5 MiB
            {"MGW_RECORDER_LINK_TTL_SECONDS", "3600"}};
  }

  // The upload journal beside `file` once it lists at least one confirmed part, polled with a
  // deadline: the upload streams while the meeting is recorded.
  std::optional<json::object> WaitForJournalParts(const std::filesystem::path& file,
                                                  std::chrono::seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      std::ifstream in(file.string() + ".upload.json");
      const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
      boost::system::error_code ec;
      json::value journal = json::parse(text, ec);
      if (!ec && journal.is_object() && !journal.at("parts").as_array().empty()) {
        return journal.as_object();
      }
      std::this_thread::sleep_for(50ms);
    }
    return std::nullopt;
  }

  // The recording of the meeting once it is done or failed (polled with a deadline).
  std::optional<json::object> WaitForRecording(std::chrono::seconds timeout) {
    const auto deadline = Clock::now() + timeout;
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

  // The recorder announced itself to the participants (JOIN with role recorder); its id.
  int64_t AwaitRecorderJoin(Participant& p) {
    for (;;) {
      json::object join = p.ws->Expect("JOIN");
      if (join.empty()) return 0;
      const json::object& who = join.at("participant").as_object();
      if (who.at("role").as_string() == "recorder") return who.at("participant_id").as_int64();
    }
  }

  bool MeetingGone(std::chrono::seconds timeout, const std::string& token) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (api_->Call("GET", "/meeting/" + meeting_id_, "", token).status == 404) return true;
      std::this_thread::sleep_for(100ms);
    }
    return false;
  }

  // The webhook bodies received so far (polled with a deadline).
  std::vector<std::string> WaitForWebhooks(std::size_t count, std::chrono::seconds timeout) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
      {
        std::lock_guard lock(webhook_mutex_);
        if (webhook_bodies_.size() >= count || Clock::now() >= deadline) return webhook_bodies_;
      }
      std::this_thread::sleep_for(50ms);
    }
  }

  std::unique_ptr<http::Server> webhook_;
  std::unique_ptr<mgw::testing::SmtpSink> smtp_;  // when node is here
  std::mutex webhook_mutex_;
  std::vector<std::string> webhook_bodies_;
  std::unique_ptr<ChildProcess> s3rver_;
  uint16_t s3_port_ = 0;
};

struct StreamInfo {
  std::string codec;
  double first = 1e9;
  double end = 0;  // last pts + its duration (video: + one frame)
  int packets = 0;
};

std::vector<StreamInfo> Probe(const std::string& path, json::object* format) {
  std::string out;
  EXPECT_EQ(
      rt::RunCommand("ffprobe -v error -of json -show_streams -show_format '" + path + "'", &out),
      0)
      << out;
  boost::system::error_code ec;
  json::value info = json::parse(out, ec);
  std::vector<StreamInfo> streams;
  if (ec || !info.is_object() || !info.as_object().contains("streams")) {
    ADD_FAILURE() << "ffprobe " << path << ": " << out;
    return streams;
  }
  for (const auto& s : info.at("streams").as_array()) {
    streams.push_back({std::string(s.at("codec_name").as_string())});
  }
  if (format != nullptr) *format = info.at("format").as_object();
  std::string packets;
  rt::RunCommand(
      "ffprobe -v error -of json -show_entries packet=stream_index,pts_time,"
      "duration_time '" +
          path + "'",
      &packets);
  const json::value packet_list = json::parse(packets);
  for (const auto& p : packet_list.at("packets").as_array()) {
    auto& s = streams.at(static_cast<size_t>(p.at("stream_index").as_int64()));
    const double pts = std::stod(std::string(p.at("pts_time").as_string()));
    double duration = 0;
    if (const auto* d = p.as_object().if_contains("duration_time")) {
      duration = std::stod(std::string(d->as_string()));
    }
    if (s.codec == "vp8") duration = 1.0 / 30;
    s.first = std::min(s.first, pts);
    s.end = std::max(s.end, pts + duration);
    ++s.packets;
  }
  return streams;
}

std::string PathOf(const json::object& recording) {
  const std::string location(recording.at("location").as_string());
  EXPECT_TRUE(location.starts_with("file://")) << location;
  return location.substr(std::string("file://").size());
}

TEST_F(RecorderE2eTest, RecordsTwoParticipantsUntilEndAndDeliversTheFile) {
  auto recorder = StartRecorder();
  auto alice = Join("alice", 440.0, "", true);
  auto bob = Join("bob", 660.0, meeting_id_, false);
  ASSERT_NE(alice->id, 0);
  ASSERT_NE(bob->id, 0);
  ASSERT_FALSE(alice->ws->Expect("JOIN").empty());  // bob
  // A first sender report from each latches its address before the recorder subscribes.
  const std::vector<Participant*> both = {alice.get(), bob.get()};
  for (Participant* p : both) p->media->Send(rt::SenderReport(p->audio_ssrc, 0, 0));

  auto record = api_->Call("POST", "/meeting/record/" + meeting_id_, "", alice->token);
  ASSERT_EQ(record.status, 200) << record.body;
  EXPECT_TRUE(record.Json().at("started").as_bool());
  api_->Call("POST", "/meeting/record/" + meeting_id_, "", bob->token);  // a second recipient

  const int64_t recorder_id = AwaitRecorderJoin(*alice);
  ASSERT_NE(recorder_id, 0) << recorder->output();
  ASSERT_TRUE(RecorderReceivesVideo(recorder_id, both)) << recorder->output();

  Play(Schedule(both), std::chrono::hours(1));
  alice->ws->Send({{"content_type", "END"}, {"meeting_id", meeting_id_}});

  std::optional<json::object> done = WaitForRecording(60s);
  ASSERT_TRUE(done) << recorder->output();
  ASSERT_EQ(done->at("state").as_string(), "done") << json::serialize(*done);
  const std::string path = PathOf(*done);

  // ffprobe: four streams (each participant's Opus and VP8), every one as long as what was sent.
  json::object format;
  const std::vector<StreamInfo> streams = Probe(path, &format);
  ASSERT_EQ(streams.size(), 4u) << recorder->output();
  EXPECT_EQ(format.at("format_name").as_string(), "matroska,webm");
  std::map<std::string, int> codecs;
  for (const StreamInfo& s : streams) {
    ++codecs[s.codec];
    std::printf("%s: %.3f..%.3f s, %d packets\n", s.codec.c_str(), s.first, s.end, s.packets);
    EXPECT_NEAR(s.end - s.first, kSeconds, kSeconds * 0.01) << s.codec;
  }
  EXPECT_EQ(codecs["opus"], 2);
  EXPECT_EQ(codecs["vp8"], 2);

  // Each participant's tone is in one of the audio streams, and only there.
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

  // The manifest beside the file, and the one the control plane keeps, carry its SHA-256.
  const std::optional<std::string> sha256 = rec::Sha256File(path);
  ASSERT_TRUE(sha256);
  EXPECT_EQ(done->at("sha256").as_string(), *sha256);
  std::filesystem::path manifest_path(path);
  manifest_path.replace_extension(".manifest.json");
  std::ifstream in(manifest_path);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const json::object manifest = json::parse(text).as_object();
  EXPECT_EQ(manifest.at("sha256").as_string(), *sha256);
  EXPECT_EQ(manifest.at("streams").as_array().size(), 4u);
  EXPECT_EQ(done->at("manifest").at("sha256").as_string(), *sha256);
  // The file's timeline starts when the recorder opened it, before the first packet arrived.
  double file_end = 0;
  for (const StreamInfo& st : streams) file_end = std::max(file_end, st.end);
  EXPECT_NEAR(done->at("duration_ms").to_number<double>(), file_end * 1000, 50);

  // The recipients' emails and the meeting's deletion are jobs; the meeting goes.
  auto jobs = api_->Call("GET", "/jobs?kind=email.send", "", admin_token_);
  ASSERT_EQ(jobs.status, 200) << jobs.body;
  const json::value email_jobs = jobs.Json();
  EXPECT_EQ(email_jobs.at("total").to_number<int64_t>(), 2) << jobs.body;
  for (const auto& job : email_jobs.at("items").as_array()) {
    const std::string payload = json::serialize(job.at("payload"));
    EXPECT_NE(payload.find(std::string(done->at("link").as_string())), std::string::npos)
        << payload;
  }
  // ... and the control plane's job runner delivered them over SMTP, one per recipient.
  if (smtp_) {
    std::set<std::string> to;
    for (int i = 0; i < 2; ++i) {
      const json::value message = smtp_->NextMessage();
      for (const auto& address : message.at("to").as_array()) {
        to.insert(std::string(address.as_string()));
      }
      const std::string body =
          mgw::testing::MessageText(std::string(message.at("data").as_string()));
      EXPECT_NE(body.find(std::string(done->at("link").as_string())), std::string::npos) << body;
    }
    EXPECT_EQ(to, (std::set<std::string>{alice->email, bob->email})) << smtp_->output();
  }
  EXPECT_TRUE(MeetingGone(30s, alice->token)) << controlplane_->child().output();

  // The webhook came through the control plane's job runner, with the link.
  const std::vector<std::string> hooks = WaitForWebhooks(1, 30s);
  ASSERT_EQ(hooks.size(), 1u) << controlplane_->child().output();
  const json::value hook = json::parse(hooks[0]);
  EXPECT_EQ(hook.at("event").as_string(), "recording.ready");
  EXPECT_EQ(hook.at("link").as_string(), done->at("link").as_string());
  EXPECT_EQ(hook.at("sha256").as_string(), *sha256);
}

TEST_F(RecorderE2eTest, SigkilledRecorderLeavesAPlayableFileThatARestartedOneDelivers) {
  auto recorder = StartRecorder();
  auto alice = Join("alice", 440.0, "", true);
  auto bob = Join("bob", 660.0, meeting_id_, false);
  ASSERT_NE(bob->id, 0);
  const std::vector<Participant*> both = {alice.get(), bob.get()};
  for (Participant* p : both) p->media->Send(rt::SenderReport(p->audio_ssrc, 0, 0));
  ASSERT_EQ(api_->Call("POST", "/meeting/record/" + meeting_id_, "", alice->token).status, 200);
  const int64_t recorder_id = AwaitRecorderJoin(*alice);
  ASSERT_NE(recorder_id, 0) << recorder->output();
  ASSERT_TRUE(RecorderReceivesVideo(recorder_id, both)) << recorder->output();

  Play(Schedule(both), std::chrono::milliseconds(4500));
  recorder->Signal(SIGKILL);
  recorder->WaitForExit(10s);

  // What the killed recorder left plays: every stream, up to about its last cluster.
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(output_dir())) {
    if (entry.path().extension() == ".mkv") files.push_back(entry.path());
  }
  ASSERT_EQ(files.size(), 1u);
  const std::vector<StreamInfo> streams = Probe(files[0].string(), nullptr);
  ASSERT_EQ(streams.size(), 4u) << recorder->output();
  for (const StreamInfo& s : streams) {
    EXPECT_GT(s.end - s.first, 2.0) << s.codec;
    EXPECT_GT(s.packets, 0) << s.codec;
  }

  alice->ws->Send({{"content_type", "END"}, {"meeting_id", meeting_id_}});
  ASSERT_FALSE(alice->ws->Expect("END").empty());
  // A new recorder claims it once the lease (3 s) has run out and delivers the file.
  auto restarted = StartRecorder();
  std::optional<json::object> done = WaitForRecording(60s);
  ASSERT_TRUE(done) << restarted->output();
  ASSERT_EQ(done->at("state").as_string(), "done") << json::serialize(*done);
  EXPECT_GE(done->at("claims").as_int64(), 2);
  EXPECT_EQ(PathOf(*done), files[0].string());
  EXPECT_EQ(done->at("sha256").as_string(), *rec::Sha256File(files[0].string()));
  EXPECT_TRUE(MeetingGone(30s, alice->token)) << controlplane_->child().output();
}

// Which of 440, 660 and 880 Hz each audio stream of `path` holds (0 when none dominates),
// sorted; `audio_streams` streams, each checked from 1 s to 3 s.
std::vector<double> TonesIn(const std::string& path, int audio_streams) {
  std::vector<double> found;
  for (int nth = 0; nth < audio_streams; ++nth) {
    const std::vector<float> samples = rt::DecodeOpusTrack(path, nth);
    if (samples.size() <= 48000u * 3) {
      ADD_FAILURE() << path << " audio " << nth << ": " << samples.size() << " samples";
      continue;
    }
    const std::vector<float> middle(samples.begin() + 48000, samples.begin() + 3 * 48000L);
    std::map<double, double> power;
    for (double hz : {440.0, 660.0, 880.0}) power[hz] = rt::GoertzelPower(middle, hz, 48000);
    double tone = 0;
    for (const auto& [hz, p] : power) {
      bool dominant = true;
      for (const auto& [other, q] : power) {
        if (other != hz && p <= 100 * q) dominant = false;
      }
      if (dominant) tone = hz;
    }
    std::printf("%s audio %d: %.0f Hz\n", path.c_str(), nth, tone);
    found.push_back(tone);
  }
  std::sort(found.begin(), found.end());
  return found;
}

int CountCodec(const std::vector<StreamInfo>& streams, const std::string& codec) {
  return static_cast<int>(std::count_if(streams.begin(), streams.end(),
                                        [&](const StreamInfo& s) { return s.codec == codec; }));
}

// A third participant joins two seconds into the recording: the file then open cannot take new
// tracks, so the recorder continues in a second segment with everyone's; the completion, the
// webhook and the emails carry both files, and the newcomer's tone is in the second one.
TEST_F(RecorderE2eTest, ALatecomerIsRecordedInANewSegmentAndEverySegmentIsDelivered) {
  auto recorder = StartRecorder();
  auto alice = Join("alice", 440.0, "", true);
  auto bob = Join("bob", 660.0, meeting_id_, false);
  ASSERT_NE(bob->id, 0);
  ASSERT_FALSE(alice->ws->Expect("JOIN").empty());  // bob
  const std::vector<Participant*> both = {alice.get(), bob.get()};
  for (Participant* p : both) p->media->Send(rt::SenderReport(p->audio_ssrc, 0, 0));
  ASSERT_EQ(api_->Call("POST", "/meeting/record/" + meeting_id_, "", alice->token).status, 200);
  const int64_t recorder_id = AwaitRecorderJoin(*alice);
  ASSERT_NE(recorder_id, 0) << recorder->output();
  ASSERT_TRUE(RecorderReceivesVideo(recorder_id, both)) << recorder->output();

  // Everyone's media in one schedule; carol's starts two seconds in.
  std::vector<Scheduled> schedule = Schedule(both);
  Play(schedule, 2s);
  auto carol = Join("carol", 880.0, meeting_id_, false);
  ASSERT_NE(carol->id, 0);
  carol->media->Send(rt::SenderReport(carol->audio_ssrc, 0, 0));
  ASSERT_TRUE(RecorderReceivesVideo(recorder_id, {carol.get()})) << recorder->output();
  std::vector<Scheduled> late = Schedule({carol.get()});
  for (Scheduled& entry : late) entry.at += 2s + 10ms;  // all after what was played
  schedule.insert(schedule.end(), late.begin(), late.end());
  std::stable_sort(schedule.begin(), schedule.end(),
                   [](const Scheduled& a, const Scheduled& b) { return a.at < b.at; });
  Play(schedule, std::chrono::hours(1), 2s);
  alice->ws->Send({{"content_type", "END"}, {"meeting_id", meeting_id_}});

  std::optional<json::object> done = WaitForRecording(60s);
  ASSERT_TRUE(done) << recorder->output();
  ASSERT_EQ(done->at("state").as_string(), "done") << json::serialize(*done);
  ASSERT_TRUE(done->contains("segments")) << json::serialize(*done);
  const json::array& segments = done->at("segments").as_array();
  ASSERT_EQ(segments.size(), 2u) << json::serialize(*done) << recorder->output();
  EXPECT_EQ(segments[0].at("location"), done->at("location"));
  EXPECT_EQ(segments[0].at("sha256"), done->at("sha256"));
  std::vector<std::string> paths;
  for (const auto& segment : segments) {
    paths.push_back(PathOf(segment.as_object()));
    EXPECT_EQ(segment.at("sha256").as_string(), *rec::Sha256File(paths.back()));
  }
  EXPECT_EQ(RecordedFiles().size(), 2u);

  // The first file: alice and bob; the second: all three, and carol's tone is there.
  const std::vector<StreamInfo> first = Probe(paths[0], nullptr);
  EXPECT_EQ(CountCodec(first, "opus"), 2);
  EXPECT_EQ(CountCodec(first, "vp8"), 2);
  const std::vector<StreamInfo> second = Probe(paths[1], nullptr);
  ASSERT_EQ(CountCodec(second, "opus"), 3) << recorder->output();
  EXPECT_EQ(CountCodec(second, "vp8"), 3);
  for (const StreamInfo& st : second) EXPECT_GT(st.packets, 0) << st.codec;
  EXPECT_EQ(TonesIn(paths[1], 3), (std::vector<double>{440.0, 660.0, 880.0}));

  // The webhook and the recipient's email carry both links.
  const std::vector<std::string> hooks = WaitForWebhooks(1, 30s);
  ASSERT_EQ(hooks.size(), 1u) << controlplane_->child().output();
  const json::value hook = json::parse(hooks[0]);
  ASSERT_EQ(hook.at("segments").as_array().size(), 2u) << hooks[0];
  auto jobs = api_->Call("GET", "/jobs?kind=email.send", "", admin_token_);
  ASSERT_EQ(jobs.status, 200) << jobs.body;
  const json::value email_jobs = jobs.Json();
  ASSERT_EQ(email_jobs.at("items").as_array().size(), 1u) << jobs.body;
  const std::string payload = json::serialize(email_jobs.at("items").as_array()[0].at("payload"));
  for (const auto& segment : segments) {
    EXPECT_EQ(hook.at("segments").as_array()[&segment - segments.data()].at("link"),
              segment.at("link"));
    EXPECT_NE(payload.find(std::string(segment.at("link").as_string())), std::string::npos)
        << payload;
  }
}

// The recorder dies while the meeting goes on: a restarted one claims it again (the lease ran
// out), joins, records the rest into a new file, and the delivery includes both files.
TEST_F(RecorderE2eTest, ARecorderResumingARunningMeetingDeliversTheEarlierFileToo) {
  auto recorder = StartRecorder();
  auto alice = Join("alice", 440.0, "", true);
  auto bob = Join("bob", 660.0, meeting_id_, false);
  ASSERT_NE(bob->id, 0);
  const std::vector<Participant*> both = {alice.get(), bob.get()};
  for (Participant* p : both) p->media->Send(rt::SenderReport(p->audio_ssrc, 0, 0));
  ASSERT_EQ(api_->Call("POST", "/meeting/record/" + meeting_id_, "", alice->token).status, 200);
  const int64_t recorder_id = AwaitRecorderJoin(*alice);
  ASSERT_NE(recorder_id, 0) << recorder->output();
  ASSERT_TRUE(RecorderReceivesVideo(recorder_id, both)) << recorder->output();
  const std::vector<Scheduled> schedule = Schedule(both);
  Play(schedule, 3s);
  recorder->Signal(SIGKILL);
  recorder->WaitForExit(10s);
  const std::vector<std::filesystem::path> killed = RecordedFiles();
  ASSERT_EQ(killed.size(), 1u);

  // The meeting is still running: a new recorder joins it again.
  auto restarted = StartRecorder();
  const int64_t rejoined = AwaitRecorderJoin(*alice);
  ASSERT_NE(rejoined, 0) << restarted->output();
  ASSERT_TRUE(RecorderReceivesVideo(rejoined, both)) << restarted->output();
  // From the keyframe and sender reports at 3 s on (the killed recorder had them; this one not).
  Play(schedule, std::chrono::hours(1), 3s - 1ms);
  alice->ws->Send({{"content_type", "END"}, {"meeting_id", meeting_id_}});

  std::optional<json::object> done = WaitForRecording(60s);
  ASSERT_TRUE(done) << restarted->output();
  ASSERT_EQ(done->at("state").as_string(), "done") << json::serialize(*done);
  EXPECT_GE(done->at("claims").as_int64(), 2);
  ASSERT_TRUE(done->contains("segments")) << json::serialize(*done);
  const json::array& segments = done->at("segments").as_array();
  ASSERT_EQ(segments.size(), 2u) << json::serialize(*done) << restarted->output();
  EXPECT_EQ(PathOf(segments[0].as_object()), killed[0].string());
  EXPECT_EQ(PathOf(*done), killed[0].string());
  EXPECT_EQ(segments[0].at("sha256").as_string(), *rec::Sha256File(killed[0].string()));
  const std::string resumed_path = PathOf(segments[1].as_object());
  EXPECT_NE(resumed_path, killed[0].string());
  const std::vector<StreamInfo> streams = Probe(resumed_path, nullptr);
  EXPECT_EQ(CountCodec(streams, "opus"), 2) << restarted->output();
  EXPECT_EQ(CountCodec(streams, "vp8"), 2);
  EXPECT_TRUE(MeetingGone(30s, alice->token)) << controlplane_->child().output();
}

// With a bucket configured the file streams to S3 (s3rver, started here) by multipart upload
// while it is recorded: parts are journaled before the meeting ends, the same upload is
// completed at the end, the manifest goes beside it, and the link downloads exactly the file.
TEST_F(RecorderE2eTest, WithABucketTheFileStreamsToS3AndTheLinkDownloadsIt) {
#ifndef MGW_NODE_EXECUTABLE
  GTEST_SKIP() << "node is not installed: no s3rver";
#else
  ASSERT_TRUE(std::filesystem::exists(SourcePath("node_modules/s3rver/bin/s3rver.js")))
      << "s3rver is not installed (npm ci in the source tree)";
  const std::string endpoint = StartS3rver();
  ASSERT_FALSE(endpoint.empty()) << s3rver_->output();
  const uint16_t s3_port = s3_port_;
  auto recorder = StartRecorder(S3Env(endpoint));
  auto alice = Join("alice", 440.0, "", true);
  auto bob = Join("bob", 660.0, meeting_id_, false);
  ASSERT_NE(bob->id, 0);
  const std::vector<Participant*> both = {alice.get(), bob.get()};
  for (Participant* p : both) p->media->Send(rt::SenderReport(p->audio_ssrc, 0, 0));
  ASSERT_EQ(api_->Call("POST", "/meeting/record/" + meeting_id_, "", alice->token).status, 200);
  const int64_t recorder_id = AwaitRecorderJoin(*alice);
  ASSERT_NE(recorder_id, 0) << recorder->output();
  ASSERT_TRUE(RecorderReceivesVideo(recorder_id, both)) << recorder->output();
  const std::vector<Scheduled> schedule = Schedule(both);
  Play(schedule, std::chrono::milliseconds(3000));

  // The upload started before the meeting ended: parts are confirmed while recording.
  ASSERT_EQ(RecordedFiles().size(), 1u);
  const std::optional<json::object> journal = WaitForJournalParts(RecordedFiles()[0], 30s);
  ASSERT_TRUE(journal) << recorder->output();
  EXPECT_EQ(journal->at("state").as_string(), "uploading");
  const std::string upload_id(journal->at("upload_id").as_string());
  std::printf("parts confirmed while recording: %zu\n", journal->at("parts").as_array().size());
  Play(schedule, std::chrono::milliseconds(4000), std::chrono::milliseconds(3000));
  alice->ws->Send({{"content_type", "END"}, {"meeting_id", meeting_id_}});

  std::optional<json::object> done = WaitForRecording(60s);
  ASSERT_TRUE(done) << recorder->output();
  ASSERT_EQ(done->at("state").as_string(), "done") << json::serialize(*done);
  const std::string file_name(done->at("file_name").as_string());
  EXPECT_EQ(done->at("location").as_string(), "s3://recordings/" + file_name);
  EXPECT_TRUE(done->contains("link_expires_at"));
  const std::string link(done->at("link").as_string());
  ASSERT_TRUE(link.starts_with(endpoint)) << link;
  EXPECT_NE(link.find("X-Amz-Expires=3600"), std::string::npos) << link;

  // The upload completed is the one that streamed, with more parts since.
  const std::string local = output_dir() + "/" + file_name;
  const auto final_journal = rec::UploadJournal::Load(local + ".upload.json");
  ASSERT_TRUE(final_journal);
  EXPECT_EQ(final_journal->state, rec::UploadJournal::State::kComplete);
  EXPECT_EQ(final_journal->upload_id, upload_id);
  EXPECT_GT(final_journal->parts.size(), journal->at("parts").as_array().size());

  // The object behind the link is the local file, byte for byte.
  std::ifstream in(local, std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const HttpResult object = HttpFetch("127.0.0.1", s3_port, "GET", link.substr(endpoint.size()));
  EXPECT_EQ(object.status, 200);
  EXPECT_GT(bytes.size(), 10000u);
  EXPECT_TRUE(object.body == bytes) << object.body.size() << " bytes against " << bytes.size();
  EXPECT_EQ(done->at("sha256").as_string(), *rec::Sha256File(local));
  std::string manifest_key = file_name;
  manifest_key.replace(manifest_key.rfind('.'), std::string::npos, ".manifest.json");
  const HttpResult manifest = HttpFetch("127.0.0.1", s3_port, "GET", "/recordings/" + manifest_key);
  EXPECT_EQ(manifest.status, 200);
  EXPECT_NE(manifest.body.find(std::string(done->at("sha256").as_string())), std::string::npos);
#endif
}

// SIGKILL while the upload streams: the restarted recorder completes the same multipart upload
// from the journal (not a new one), and the object is the file.
TEST_F(RecorderE2eTest, ASigkilledRecorderStreamingToS3IsCompletedFromItsJournal) {
#ifndef MGW_NODE_EXECUTABLE
  GTEST_SKIP() << "node is not installed: no s3rver";
#else
  ASSERT_TRUE(std::filesystem::exists(SourcePath("node_modules/s3rver/bin/s3rver.js")))
      << "s3rver is not installed (npm ci in the source tree)";
  const std::string endpoint = StartS3rver();
  ASSERT_FALSE(endpoint.empty()) << s3rver_->output();
  auto recorder = StartRecorder(S3Env(endpoint));
  auto alice = Join("alice", 440.0, "", true);
  auto bob = Join("bob", 660.0, meeting_id_, false);
  ASSERT_NE(bob->id, 0);
  const std::vector<Participant*> both = {alice.get(), bob.get()};
  for (Participant* p : both) p->media->Send(rt::SenderReport(p->audio_ssrc, 0, 0));
  ASSERT_EQ(api_->Call("POST", "/meeting/record/" + meeting_id_, "", alice->token).status, 200);
  const int64_t recorder_id = AwaitRecorderJoin(*alice);
  ASSERT_NE(recorder_id, 0) << recorder->output();
  ASSERT_TRUE(RecorderReceivesVideo(recorder_id, both)) << recorder->output();
  Play(Schedule(both), std::chrono::milliseconds(3000));
  ASSERT_EQ(RecordedFiles().size(), 1u);
  const std::filesystem::path file = RecordedFiles()[0];
  ASSERT_TRUE(WaitForJournalParts(file, 30s)) << recorder->output();
  recorder->Signal(SIGKILL);
  recorder->WaitForExit(10s);
  const auto at_kill = rec::UploadJournal::Load(file.string() + ".upload.json");
  ASSERT_TRUE(at_kill);
  ASSERT_FALSE(at_kill->parts.empty());

  alice->ws->Send({{"content_type", "END"}, {"meeting_id", meeting_id_}});
  ASSERT_FALSE(alice->ws->Expect("END").empty());
  auto restarted = StartRecorder(S3Env(endpoint));
  std::optional<json::object> done = WaitForRecording(60s);
  ASSERT_TRUE(done) << restarted->output();
  ASSERT_EQ(done->at("state").as_string(), "done") << json::serialize(*done);
  const auto final_journal = rec::UploadJournal::Load(file.string() + ".upload.json");
  ASSERT_TRUE(final_journal);
  EXPECT_EQ(final_journal->state, rec::UploadJournal::State::kComplete);
  EXPECT_EQ(final_journal->upload_id, at_kill->upload_id);  // resumed, not a new upload
  for (size_t i = 0; i < at_kill->parts.size(); ++i) {
    EXPECT_EQ(final_journal->parts[i].etag, at_kill->parts[i].etag) << i;
  }
  std::ifstream in(file, std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const std::string link(done->at("link").as_string());
  const HttpResult object = HttpFetch("127.0.0.1", s3_port_, "GET", link.substr(endpoint.size()));
  EXPECT_EQ(object.status, 200);
  EXPECT_TRUE(object.body == bytes) << object.body.size() << " bytes against " << bytes.size();
#endif
}

}  // namespace
}  // namespace mgw::testing
