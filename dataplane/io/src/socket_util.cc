#include "socket_util.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mgw::io {
namespace {

bool SetIntOption(int fd, int level, int name, int value, const char* what, std::string* error) {
  if (setsockopt(fd, level, name, &value, sizeof(value)) == 0) return true;
  *error = std::string("setsockopt(") + what + "): " + ErrnoText(errno);
  return false;
}

int OpenOne(const BackendConfig& config, const Endpoint& local, bool nonblocking,
            std::string* error) {
  const int family = local.address.is_v6() ? AF_INET6 : AF_INET;
  int type = SOCK_DGRAM | SOCK_CLOEXEC;
  if (nonblocking) type |= SOCK_NONBLOCK;
  const int fd = socket(family, type, IPPROTO_UDP);
  if (fd < 0) {
    *error = "socket: " + ErrnoText(errno);
    return -1;
  }
  bool ok = SetIntOption(fd, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT", error) &&
            SetIntOption(fd, SOL_SOCKET, SO_RXQ_OVFL, 1, "SO_RXQ_OVFL", error);
  if (ok && family == AF_INET) {
    ok = SetIntOption(fd, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO", error);
  } else if (ok) {
    // A wildcard IPv6 socket also takes IPv4 (v4-mapped); a specific address only its own.
    ok = SetIntOption(fd, IPPROTO_IPV6, IPV6_V6ONLY, local.address.is_unspecified() ? 0 : 1,
                      "IPV6_V6ONLY", error) &&
         SetIntOption(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO", error) &&
         SetIntOption(fd, IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO", error);
  }
  // Don't fragment, and don't act on path MTU discovery either (RTP packets are sized by their
  // senders to fit): with DF set the kernel writes IP ID 0 instead of drawing one per datagram
  // from the shared generator (__ip_select_ident), which cost ~10 % of a posix worker. Media
  // stacks set DF for the same reason (and a fragmented RTP packet is as good as lost anyway).
  if (ok) {
    ok = SetIntOption(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_PROBE, "IP_MTU_DISCOVER", error);
  }
  if (ok && family == AF_INET6) {
    ok = SetIntOption(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_PROBE, "IPV6_MTU_DISCOVER",
                      error);
  }
  if (ok && config.socket_receive_buffer > 0) {
    ok = SetIntOption(fd, SOL_SOCKET, SO_RCVBUF, config.socket_receive_buffer, "SO_RCVBUF", error);
  }
  if (ok && config.socket_send_buffer > 0) {
    ok = SetIntOption(fd, SOL_SOCKET, SO_SNDBUF, config.socket_send_buffer, "SO_SNDBUF", error);
  }
  if (ok) {
    sockaddr_storage address;
    const socklen_t length = EndpointToSockaddr(local, family, &address);
    if (bind(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
      *error = "bind " + local.ToString() + ": " + ErrnoText(errno);
      ok = false;
    }
  }
  if (!ok) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

bool OpenQueueSockets(const BackendConfig& config, bool nonblocking, std::vector<int>* fds,
                      Endpoint* bound, std::string* error) {
  if (config.local.address.family == IpFamily::kNone) {
    *error = "no local address configured";
    return false;
  }
  Endpoint local = config.local;
  for (uint16_t queue = 0; queue < config.queues; ++queue) {
    const int fd = OpenOne(config, local, nonblocking, error);
    if (fd < 0) {
      for (int open_fd : *fds) close(open_fd);
      fds->clear();
      return false;
    }
    fds->push_back(fd);
    if (queue == 0) {
      // Port 0: the kernel picked one; the other queues join it.
      sockaddr_storage address;
      socklen_t length = sizeof(address);
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
      local.port = EndpointFromSockaddr(reinterpret_cast<sockaddr*>(&address), length)->port;
    }
  }
  *bound = local;
  return true;
}

ReceiveControl ParseReceiveControl(const msghdr& message) {
  ReceiveControl control;
  // CMSG_NXTHDR takes a non-const msghdr in glibc.
  auto* header = const_cast<msghdr*>(&message);
  for (cmsghdr* cmsg = CMSG_FIRSTHDR(header); cmsg != nullptr; cmsg = CMSG_NXTHDR(header, cmsg)) {
    if (cmsg->cmsg_level == IPPROTO_IP && cmsg->cmsg_type == IP_PKTINFO) {
      in_pktinfo info;
      std::memcpy(&info, CMSG_DATA(cmsg), sizeof(info));
      control.destination = IpAddress::V4(ntohl(info.ipi_addr.s_addr));
      control.has_destination = true;
    } else if (cmsg->cmsg_level == IPPROTO_IPV6 && cmsg->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info;
      std::memcpy(&info, CMSG_DATA(cmsg), sizeof(info));
      std::array<uint8_t, 16> bytes;
      std::memcpy(bytes.data(), &info.ipi6_addr, 16);
      control.destination = IpAddress::V6(bytes);
      control.has_destination = true;
    } else if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SO_RXQ_OVFL) {
      std::memcpy(&control.overflow, CMSG_DATA(cmsg), sizeof(control.overflow));
      control.has_overflow = true;
    }
  }
  return control;
}

bool DescribeSend(const OutPacket& packet, const uint8_t* header, int socket_family,
                  sockaddr_storage* name, iovec (&iov)[2], msghdr* message) {
  const socklen_t name_length = EndpointToSockaddr(packet.destination, socket_family, name);
  if (name_length == 0) return false;
  size_t count = 0;
  if (!packet.header.empty()) {
    iov[count++] = {const_cast<uint8_t*>(header), packet.header.size()};
  }
  if (packet.payload_length > 0) {
    iov[count++] = {const_cast<uint8_t*>(packet.payload_data()), packet.payload_length};
  }
  *message = {};
  message->msg_name = name;
  message->msg_namelen = name_length;
  message->msg_iov = iov;
  message->msg_iovlen = count;
  return true;
}

int CreateEventFd() { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

void SignalEventFd(int fd) {
  const uint64_t one = 1;
  // EAGAIN means the counter is saturated: the owner is woken anyway.
  [[maybe_unused]] const ssize_t written = write(fd, &one, sizeof(one));
}

void DrainEventFd(int fd) {
  uint64_t value;
  [[maybe_unused]] const ssize_t got = read(fd, &value, sizeof(value));
}

std::string ErrnoText(int error) {
  char buffer[128];
  // GNU strerror_r returns the message pointer (maybe not `buffer`).
  return strerror_r(error, buffer, sizeof(buffer));
}

}  // namespace mgw::io
