#include "udp_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace mgw::bench {
namespace {

[[noreturn]] void Fail(const char* what) {
  throw std::runtime_error(std::string(what) + ": " + std::strerror(errno));
}

uint16_t PickFreePort(int type) {
  int fd = socket(AF_INET, type, 0);
  if (fd < 0) Fail("socket");
  sockaddr_in sa = Ipv4SocketAddress(INADDR_LOOPBACK, 0);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) Fail("bind");
  uint16_t port = LocalPort(fd);
  close(fd);
  return port;
}

}  // namespace

sockaddr_in Ipv4SocketAddress(uint32_t address, uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(address);
  sa.sin_port = htons(port);
  return sa;
}

int OpenUdpSocket(uint32_t address, uint16_t port, bool nonblocking) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) Fail("socket");
  int size = 32 << 20;
  // FORCE variants exceed rmem_max/wmem_max when we are root; plain ones otherwise.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  }
  sockaddr_in sa = Ipv4SocketAddress(address, port);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    Fail("bind");
  }
  return fd;
}

uint16_t LocalPort(int fd) {
  sockaddr_in sa{};
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  return ntohs(sa.sin_port);
}

uint16_t PickFreeUdpPort() { return PickFreePort(SOCK_DGRAM); }
uint16_t PickFreeTcpPort() { return PickFreePort(SOCK_STREAM); }

}  // namespace mgw::bench
