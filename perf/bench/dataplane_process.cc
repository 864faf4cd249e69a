#include "dataplane_process.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "mgw/control/control_server.h"
#include "udp_socket.h"

namespace mgw::bench {
namespace {

std::string TomlString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// GET /metrics from 127.0.0.1:port; empty on failure.
std::string HttpGetMetrics(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa = Ipv4SocketAddress(0x7F000001, port);
  std::string body;
  if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
    const std::string request =
        "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[65536];
      ssize_t n;
      while ((n = read(fd, buffer, sizeof buffer)) > 0) body.append(buffer, static_cast<size_t>(n));
    }
  }
  close(fd);
  return body;
}

double SumSamples(const std::string& text, const std::string& family) {
  double sum = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(family, 0) != 0) continue;
    const char next = line.size() > family.size() ? line[family.size()] : '\0';
    if (next != '{' && next != ' ') continue;
    sum += std::strtod(line.substr(line.rfind(' ') + 1).c_str(), nullptr);
  }
  return sum;
}

control::SrtpKeys Keys(SrtpMode mode) {
  control::SrtpKeys keys;
  keys.suite = mode == SrtpMode::kGcm ? control::SrtpSuite::kAeadAes128Gcm
                                      : control::SrtpSuite::kAesCm128HmacSha1_80;
  keys.rx_key.assign(control::MasterKeyAndSaltBytes(keys.suite), 0x11);
  keys.tx_key.assign(control::MasterKeyAndSaltBytes(keys.suite), 0x22);
  return keys;
}

}  // namespace

std::string ToString(SrtpMode mode) {
  switch (mode) {
    case SrtpMode::kOff:
      return "off";
    case SrtpMode::kAesCm:
      return "AES_CM_128_HMAC_SHA1_80";
    case SrtpMode::kGcm:
      return "AEAD_AES_128_GCM";
  }
  return "?";
}

DataplaneProcess::DataplaneProcess(const DataplaneOptions& options) {
  char pattern[] = "/tmp/mgw-bench-XXXXXX";
  if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  socket_path_ = dir_ + "/dataplane.sock";
  admin_port_ = PickFreeTcpPort();
  const bool dpdk = options.backend == "dpdk";
  {
    std::ofstream toml(dir_ + "/mgw.toml");
    toml << "runtime_dir = " << TomlString(dir_) << "\nstate_dir = " << TomlString(dir_)
         << "\n[log]\nlevel = \"warn\"\n[dataplane]\nbackend = " << TomlString(options.backend)
         << "\nmedia_address = " << (dpdk ? "\"198.18.0.2\"" : "\"127.0.0.1\"")
         << "\nmedia_port = " << (dpdk ? 40000 : options.media_port)
         << "\nworkers = " << options.workers << "\nmax_participants = " << options.max_participants
         << "\nmax_legs = " << options.max_legs
         << "\ncontrol_socket = \"dataplane.sock\"\nadmin_address = \"127.0.0.1\"\nadmin_port = "
         << admin_port_
         // The harness reads the io counters and drops; 160,000 legs' samples per scrape would
         // only slow every trial's two scrapes.
         << "\nper_leg_metrics = false\nsrtp_protect = " << TomlString(options.srtp_protect)
         << "\n";
    if (options.idle_poll_us) toml << "idle_poll_us = " << *options.idle_poll_us << "\n";
    if (!options.worker_cpus.empty()) {
      toml << "worker_cpus = [";
      for (size_t i = 0; i < options.worker_cpus.size(); ++i) {
        toml << (i ? ", " : "") << '"' << options.worker_cpus[i] << '"';
      }
      toml << "]\n";
    }
    if (dpdk) {
      toml << "[dataplane.dpdk]\neal_args = [";
      for (size_t i = 0; i < options.eal_args.size(); ++i) {
        toml << (i ? ", " : "") << TomlString(options.eal_args[i]);
      }
      toml << "]\nport = " << TomlString(options.dpdk_port)
           << "\nprefix_length = 24\ngateway = \"198.18.0.1\"\n"
              "gateway_mac = \"02:00:00:00:00:01\"\n";
    }
  }
  pid_ = fork();
  if (pid_ == 0) {
    const std::string log = dir_ + "/dataplane.log";
    if (!freopen(log.c_str(), "w", stderr) || !freopen(log.c_str(), "a", stdout)) _exit(126);
    const std::string config = dir_ + "/mgw.toml";
    execl(options.binary.c_str(), options.binary.c_str(), "--config", config.c_str(), nullptr);
    _exit(127);
  }
  for (int i = 0; i < 300; ++i) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("mgw-dataplane exited at start-up:\n" + LogTail());
    }
    try {
      control::ControlClient client(socket_path_);
      client.Call(control::Hello{});
      return;
    } catch (const std::exception&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  throw std::runtime_error("mgw-dataplane did not open its control socket:\n" + LogTail());
}

DataplaneProcess::~DataplaneProcess() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string DataplaneProcess::LogTail() const {
  std::ifstream in(dir_ + "/dataplane.log");
  std::stringstream all;
  all << in.rdbuf();
  std::string text = all.str();
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

void DataplaneProcess::Program(const Topology& topology, SrtpMode srtp, uint16_t sink_port,
                               bool dpdk_addresses) {
  // Sent pipelined: 10,000 publishers at fan-out 16 are 170,000 commands, which one round trip
  // each (a context switch to the dataplane and its workers and back) made take minutes.
  std::vector<control::Command> commands;
  for (uint32_t k = 0; k < topology.subscribers(); ++k) {
    control::AddParticipant add;
    add.participant = Topology::SubscriberName(k);
    add.meeting = "bench";
    const uint32_t address =
        dpdk_addresses ? Topology::BenchmarkNetAddress(k) : Topology::LoopbackAddress(k);
    add.address = Ipv4ToString(address) + ":" + std::to_string(dpdk_addresses ? 5000 : sink_port);
    if (srtp != SrtpMode::kOff) add.srtp = Keys(srtp);
    commands.push_back(std::move(add));
  }
  for (uint32_t p = 0; p < topology.publishers; ++p) {
    control::AddParticipant add;
    add.participant = Topology::PublisherName(p);
    add.meeting = "bench";
    control::VideoSpec video;
    video.codec = "vp8";
    video.payload_type = 96;
    video.encodings.push_back({Topology::PublisherSsrc(p), std::nullopt, 1'000'000});
    add.video = video;
    if (dpdk_addresses)
      add.address =
          "198.18.1." + std::to_string(1 + p % 250) + ":" + std::to_string(5000 + p / 250);
    const std::string publisher = add.participant;
    commands.push_back(std::move(add));
    for (uint32_t j = 0; j < topology.fanout; ++j) {
      commands.push_back(control::Subscribe{Topology::SubscriberName(topology.SubscriberOf(p, j)),
                                            publisher, 2'000'000});
    }
  }
  control::ControlClient(socket_path_).CallAll(commands);
}

std::map<std::string, double> DataplaneProcess::ScrapeDrops() const {
  std::map<std::string, double> drops;
  std::istringstream in(HttpGetMetrics(admin_port_));
  std::string line;
  while (std::getline(in, line)) {
    const bool io = line.rfind("mgw_dataplane_io_drops_total{", 0) == 0;
    if (!io && line.rfind("mgw_dataplane_drops_total{", 0) != 0) continue;
    const size_t at = line.find("reason=\"");
    if (at == std::string::npos) continue;
    const size_t end = line.find('"', at + 8);
    const double value = std::strtod(line.substr(line.rfind(' ') + 1).c_str(), nullptr);
    if (value > 0) drops[(io ? "io_" : "") + line.substr(at + 8, end - at - 8)] += value;
  }
  return drops;
}

DataplaneProcess::IoCounters DataplaneProcess::ScrapeIo() const {
  const std::string text = HttpGetMetrics(admin_port_);
  return {SumSamples(text, "mgw_dataplane_io_rx_packets_total"),
          SumSamples(text, "mgw_dataplane_io_tx_packets_total")};
}

}  // namespace mgw::bench
