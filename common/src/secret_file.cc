#include "mgw/common/secret_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>

namespace mgw {
namespace {

std::string RandomBase64Url() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("no random bytes from OpenSSL");
  }
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes.data(),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

std::optional<std::string> ReadFirstLine(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

}  // namespace

Secret LoadOrCreateSecretFile(const Secret& configured, const std::string& path) {
  if (!configured.empty()) return configured;
  if (auto existing = ReadFirstLine(path); existing && !existing->empty()) {
    return Secret(*existing);
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  // Written under a temporary name and linked into place, so a reader never sees half a secret
  // and two daemons starting together agree on one (link fails for the second).
  const std::string temp = fmt::format("{}.{}.tmp", path, ::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw std::runtime_error(
        fmt::format("cannot create the shared secret {}: {}", path, std::strerror(errno)));
  }
  const std::string value = RandomBase64Url();
  const std::string line = value + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  const bool linked = written && ::link(temp.c_str(), path.c_str()) == 0;
  const int link_errno = errno;
  ::unlink(temp.c_str());
  if (!linked && link_errno != EEXIST) {
    throw std::runtime_error(
        fmt::format("cannot create the shared secret {}: {}", path, std::strerror(link_errno)));
  }
  if (auto existing = ReadFirstLine(path); existing && !existing->empty()) {
    return Secret(*existing);
  }
  throw std::runtime_error(fmt::format("cannot read the shared secret {}", path));
}

}  // namespace mgw
