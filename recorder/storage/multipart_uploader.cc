#include "mgw/rec/multipart_uploader.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <thread>
#include <vector>

namespace mgw::rec {

namespace {

uint64_t FileSize(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

}  // namespace

MultipartUploader::MultipartUploader(S3Client& client, Options options)
    : client_(client), options_(std::move(options)) {
  if (!options_.sleep) {
    options_.sleep = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
  }
  auto loaded = UploadJournal::Load(options_.journal_path);
  // A journal for another key, or one claiming more bytes than the file has, is stale.
  if (loaded && loaded->key == options_.key &&
      loaded->confirmed_bytes() <= FileSize(options_.file_path)) {
    journal_ = std::move(*loaded);
    resumed_ = !journal_.upload_id.empty();
    options_.part_size = journal_.part_size;  // parts already sent fix the size
  } else {
    journal_.key = options_.key;
    journal_.part_size = options_.part_size;
  }
}

bool MultipartUploader::Retry(const char* what, const std::function<S3Response()>& call,
                              S3Response* last) {
  std::chrono::milliseconds backoff = options_.initial_backoff;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    ++attempts_;
    *last = call();
    if (last->ok()) return true;
    if (!last->retryable()) break;
    if (attempt < options_.max_attempts) {
      options_.sleep(backoff);
      backoff = std::min(backoff * 2, options_.max_backoff);
    }
  }
  journal_.error = std::string(what) + ": " + last->error;
  return false;
}

bool MultipartUploader::GiveUp(const std::string& why) {
  if (!journal_.upload_id.empty()) {
    // Best effort: parts of an upload never completed are billed until aborted.
    client_.AbortMultipartUpload(journal_.key, journal_.upload_id);
  }
  journal_.state = UploadJournal::State::kFailed;
  journal_.error = why + "; the recording is kept at " + options_.file_path;
  journal_.Save(options_.journal_path);
  return false;
}

void MultipartUploader::Restart() {
  journal_.upload_id.clear();
  journal_.parts.clear();
  journal_.part_size = options_.part_size;
  resumed_ = false;
}

bool MultipartUploader::EnsureUpload() {
  if (!journal_.upload_id.empty()) return true;
  S3Response response;
  std::string upload_id;
  if (!Retry(
          "CreateMultipartUpload",
          [&] { return client_.CreateMultipartUpload(journal_.key, &upload_id); }, &response)) {
    return GiveUp(journal_.error);
  }
  journal_.upload_id = upload_id;
  journal_.Save(options_.journal_path);
  return true;
}

bool MultipartUploader::UploadNextPart(uint64_t size) {
  const uint64_t offset = journal_.confirmed_bytes();
  std::vector<uint8_t> data(size);
  std::ifstream in(options_.file_path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(size));
  if (static_cast<uint64_t>(in.gcount()) != size) {
    return GiveUp("cannot read " + options_.file_path);
  }
  const int number = static_cast<int>(journal_.parts.size()) + 1;
  S3Response response;
  const bool ok = Retry(
      "UploadPart",
      [&] { return client_.UploadPart(journal_.key, journal_.upload_id, number, data); },
      &response);
  if (!ok) {
    if (response.transport_ok && response.status == 404 && resumed_) {
      // The journaled upload no longer exists (aborted or expired): start a new one.
      Restart();
      return EnsureUpload();
    }
    return GiveUp(journal_.error);
  }
  journal_.parts.push_back({number, offset, size, response.etag});
  journal_.Save(options_.journal_path);
  return true;
}

bool MultipartUploader::Pump() {
  if (journal_.state != UploadJournal::State::kUploading) {
    return journal_.state == UploadJournal::State::kComplete;
  }
  if (!EnsureUpload()) return false;
  while (FileSize(options_.file_path) - journal_.confirmed_bytes() >= options_.part_size) {
    if (!UploadNextPart(options_.part_size)) return false;
  }
  return true;
}

bool MultipartUploader::Finish() {
  if (journal_.state == UploadJournal::State::kComplete) return true;
  if (journal_.state == UploadJournal::State::kFailed) return false;
  if (!Pump()) return false;
  const uint64_t rest = FileSize(options_.file_path) - journal_.confirmed_bytes();
  if (rest > 0 || journal_.parts.empty()) {
    if (!UploadNextPart(rest)) return false;
  }
  std::vector<std::pair<int, std::string>> parts;
  for (const JournalPart& p : journal_.parts) parts.emplace_back(p.number, p.etag);
  S3Response response;
  if (!Retry(
          "CompleteMultipartUpload",
          [&] { return client_.CompleteMultipartUpload(journal_.key, journal_.upload_id, parts); },
          &response)) {
    return GiveUp(journal_.error);
  }
  journal_.state = UploadJournal::State::kComplete;
  journal_.error.clear();
  journal_.Save(options_.journal_path);
  return true;
}

}  // namespace mgw::rec
