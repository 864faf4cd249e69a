#include "mgw/rec/manifest.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <array>
#include <boost/json.hpp>
#include <cstdio>
#include <memory>

namespace mgw::rec {

namespace json = boost::json;

namespace {

double Millis(int64_t micros) { return static_cast<double>(micros) / 1000.0; }

void Indent(std::string& out, int depth) { out.append(static_cast<size_t>(depth) * 2, ' '); }

// boost::json::serialize writes one line; the manifest is read by people too.
void Pretty(const json::value& v, std::string& out, int depth) {
  if (v.is_object()) {
    const auto& o = v.get_object();
    if (o.empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    size_t i = 0;
    for (const auto& kv : o) {
      Indent(out, depth + 1);
      out += json::serialize(json::value(kv.key()));
      out += ": ";
      Pretty(kv.value(), out, depth + 1);
      out += ++i < o.size() ? ",\n" : "\n";
    }
    Indent(out, depth);
    out += "}";
  } else if (v.is_array()) {
    const auto& a = v.get_array();
    if (a.empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    for (size_t i = 0; i < a.size(); ++i) {
      Indent(out, depth + 1);
      Pretty(a[i], out, depth + 1);
      out += i + 1 < a.size() ? ",\n" : "\n";
    }
    Indent(out, depth);
    out += "]";
  } else {
    out += json::serialize(v);
  }
}

}  // namespace

std::string ManifestJson(const ManifestInfo& info, const RecordingSummary& summary) {
  json::object root;
  root["meeting_id"] = info.meeting_id;
  root["file"] = info.file_name;
  root["container"] = info.container;
  root["epoch_start_ms"] = info.epoch_start_ms;
  root["size_bytes"] = info.size_bytes;
  root["sha256"] = info.sha256_hex;
  root["duration_ms"] = Millis(summary.duration_us);
  root["complete"] = summary.sink_ok;
  json::array streams;
  json::array left_out;
  for (const TrackSummary& t : summary.tracks) {
    json::object s;
    s["label"] = t.label;
    s["codec"] = std::string(NameOf(t.codec));
    s["kind"] = KindOf(t.codec) == MediaKind::kAudio ? "audio" : "video";
    json::array ssrcs;
    for (uint32_t ssrc : t.ssrcs) ssrcs.push_back(ssrc);
    s["ssrcs"] = std::move(ssrcs);
    if (t.stream < 0) {
      s["reason"] = "no usable frame before the file header was written";
      left_out.push_back(std::move(s));
      continue;
    }
    s["index"] = t.stream;
    if (KindOf(t.codec) == MediaKind::kVideo) {
      s["width"] = t.width;
      s["height"] = t.height;
    }
    s["start_ms"] = Millis(t.start_us);
    s["end_ms"] = Millis(t.end_us);
    s["av_offset_applied_ms"] = Millis(t.correction_us);
    s["sender_report_aligned"] = t.sender_report_aligned;
    s["frames_written"] = t.frames_written;
    s["frames_dropped"] = t.frames_dropped;
    s["packets_received"] = t.packets_received;
    s["packets_lost"] = t.packets_lost;
    s["packets_duplicate"] = t.packets_duplicate;
    s["packets_late"] = t.packets_late;
    s["keyframe_requests"] = t.keyframe_requests;
    json::array gaps;
    for (const GapEvent& g : t.gaps) {
      gaps.push_back(json::object{{"at_ms", Millis(g.at_us)}, {"packets", g.packets}});
    }
    s["gaps"] = std::move(gaps);
    streams.push_back(std::move(s));
  }
  root["streams"] = std::move(streams);
  root["tracks_not_recorded"] = std::move(left_out);
  json::array changes;
  for (const SsrcChangeEvent& c : summary.ssrc_changes) {
    changes.push_back(json::object{{"track", summary.tracks[static_cast<size_t>(c.track)].label},
                                   {"at_ms", Millis(c.at_us)},
                                   {"from", c.from},
                                   {"to", c.to}});
  }
  root["ssrc_changes"] = std::move(changes);
  if (summary.mix.stream >= 0) {
    const AudioMixer::Stats& m = summary.mix.stats;
    root["mix"] = json::object{{"index", summary.mix.stream},
                               {"sources", summary.mix.sources},
                               {"frames_decoded", m.frames_decoded},
                               {"frames_fec_recovered", m.frames_fec_recovered},
                               {"concealed_ms", static_cast<double>(m.samples_concealed) / 48.0},
                               {"frames_late", m.frames_late},
                               {"decode_errors", m.decode_errors + m.encode_errors},
                               {"samples_clipped", m.samples_clipped}};
  }
  std::string out;
  Pretty(root, out, 0);
  out += "\n";
  return out;
}

std::string RecordingFileName(const std::string& meeting_id, int64_t epoch_start_ms,
                              const std::string& extension) {
  std::string safe = meeting_id.empty() ? "meeting" : meeting_id;
  for (char& c : safe) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) c = '_';
  }
  if (safe[0] == '.') safe[0] = '_';  // never "." or ".." or a hidden file
  return safe + "_" + std::to_string(epoch_start_ms) + "." + extension;
}

std::optional<std::string> Sha256File(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) return std::nullopt;
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return std::nullopt;
  std::array<unsigned char, 1 << 16> buffer;
  size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), file.get())) > 0) {
    EVP_DigestUpdate(ctx.get(), buffer.data(), n);
  }
  if (std::ferror(file.get())) return std::nullopt;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &size);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < size; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xF];
  }
  return hex;
}

bool WriteFileAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) {
      ::close(fd);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  return synced && std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace mgw::rec
