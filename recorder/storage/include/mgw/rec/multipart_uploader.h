#pragma once

// Streams one recording file to S3 with a multipart upload while the recorder is still writing
// it (the file is append-only, so a byte once uploaded never changes). Pump() sends every full
// part the file holds; Finish() sends the rest and completes the upload. Each confirmed part is
// journaled (UploadJournal), so a new uploader for the same file and journal resumes where the
// last one stopped, even after a crash. Failed calls are retried with exponential backoff; when
// the attempts run out the upload is aborted on S3, the journal says "failed", and the local file
// is left where it is (the error names it). Blocking; driven by one thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "mgw/rec/s3_client.h"
#include "mgw/rec/upload_journal.h"

namespace mgw::rec {

class MultipartUploader {
 public:
  struct Options {
    std::string file_path;
    std::string key;
    std::string journal_path;
    // S3 needs at least 5 MiB for every part but the last; s3rver accepts smaller (tests).
    uint64_t part_size = uint64_t{8} << 20;  // 8 MiB
    int max_attempts = 5;
    std::chrono::milliseconds initial_backoff{200};
    std::chrono::milliseconds max_backoff{10'000};
    // Injected so tests do not sleep; defaults to std::this_thread::sleep_for.
    std::function<void(std::chrono::milliseconds)> sleep;
  };

  MultipartUploader(S3Client& client, Options options);

  // Uploads the full parts available now. False once the upload has failed for good.
  bool Pump();
  // The file is finished: uploads the remainder and completes. True when the object exists.
  bool Finish();

  UploadJournal::State state() const { return journal_.state; }
  const std::string& error() const { return journal_.error; }
  const UploadJournal& journal() const { return journal_; }
  bool resumed() const { return resumed_; }
  uint64_t attempts() const { return attempts_; }

 private:
  bool EnsureUpload();
  bool UploadNextPart(uint64_t size);
  // Runs `call` until it succeeds, fails for good, or the attempts run out.
  bool Retry(const char* what, const std::function<S3Response()>& call, S3Response* last);
  bool GiveUp(const std::string& why);
  void Restart();

  S3Client& client_;
  Options options_;
  UploadJournal journal_;
  bool resumed_ = false;
  uint64_t attempts_ = 0;
};

}  // namespace mgw::rec
