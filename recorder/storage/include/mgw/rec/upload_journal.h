#pragma once

// The uploader's local journal: which multipart upload a recording belongs to and which parts
// (number, file offset, size, ETag) S3 has confirmed. It is rewritten atomically after every
// confirmed part, so a recorder restarted after a crash continues the same upload from the next
// byte instead of starting over, and completes it with every ETag.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mgw::rec {

struct JournalPart {
  int number = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
  std::string etag;
};

struct UploadJournal {
  enum class State : uint8_t { kUploading, kComplete, kFailed };

  std::string key;
  std::string upload_id;
  uint64_t part_size = 0;
  std::vector<JournalPart> parts;
  State state = State::kUploading;
  std::string error;

  // Bytes of the file that S3 has confirmed (the parts are contiguous from offset 0).
  uint64_t confirmed_bytes() const {
    return parts.empty() ? 0 : parts.back().offset + parts.back().size;
  }

  std::string ToJson() const;
  static std::optional<UploadJournal> FromJson(const std::string& text);
  // nullopt when the file is missing or not a journal.
  static std::optional<UploadJournal> Load(const std::string& path);
  bool Save(const std::string& path) const;
};

}  // namespace mgw::rec
