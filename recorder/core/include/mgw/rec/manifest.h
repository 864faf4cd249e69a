#pragma once

// The sidecar manifest written next to a recording: what the file holds (streams, codecs,
// duration), what went wrong while recording (gaps, SSRC changes, keyframe requests), the A/V
// offsets applied, and the file's SHA-256 so a downloader can verify what it got.

#include <cstdint>
#include <optional>
#include <string>

#include "mgw/rec/recording.h"

namespace mgw::rec {

struct ManifestInfo {
  std::string meeting_id;
  std::string file_name;
  int64_t epoch_start_ms = 0;
  uint64_t size_bytes = 0;
  std::string sha256_hex;
  std::string container = "matroska";
};

// Pretty JSON (one object), stable key order.
std::string ManifestJson(const ManifestInfo& info, const RecordingSummary& summary);

// `{meeting_id}_{epoch_start_ms}.mkv`; characters outside [A-Za-z0-9._-] in the meeting id
// become '_' so an id can never name another folder.
std::string RecordingFileName(const std::string& meeting_id, int64_t epoch_start_ms,
                              const std::string& extension = "mkv");

// SHA-256 of a file's contents as lowercase hex; nullopt when it cannot be read.
std::optional<std::string> Sha256File(const std::string& path);

// Writes `text` to `path` through a temporary file, fsync and rename, so readers see the old
// content or the new one, never a torn one.
bool WriteFileAtomically(const std::string& path, const std::string& text);

}  // namespace mgw::rec
