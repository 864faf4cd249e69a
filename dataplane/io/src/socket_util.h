#pragma once

// Helpers shared by the posix and uring backends: opening the per-queue SO_REUSEPORT sockets,
// reading the receive control messages, describing an OutPacket as a msghdr, eventfds.

#include <sys/socket.h>
#include <sys/uio.h>

#include <cstdint>
#include <string>
#include <vector>

#include "mgw/io/backend_config.h"
#include "mgw/io/endpoint.h"
#include "mgw/io/packet.h"

namespace mgw::io {

// Room for IP_PKTINFO or IPV6_PKTINFO plus SO_RXQ_OVFL.
inline constexpr size_t kReceiveControlBytes = 64;

// Opens config.queues UDP sockets on config.local, all with SO_REUSEPORT on the same port (the
// first bind resolves port 0), with IP_PKTINFO/IPV6_RECVPKTINFO and SO_RXQ_OVFL on. On success
// fills `fds` and `bound` and returns true; on failure closes what it opened and sets `error`.
bool OpenQueueSockets(const BackendConfig& config, bool nonblocking, std::vector<int>* fds,
                      Endpoint* bound, std::string* error);

// What the control messages of one received datagram say.
struct ReceiveControl {
  bool has_destination = false;
  IpAddress destination;
  bool has_overflow = false;
  uint32_t overflow = 0;  // datagrams the kernel dropped on this socket so far (cumulative)
};
ReceiveControl ParseReceiveControl(const msghdr& message);

// Points `message` at `packet` (header iovec, then the shared payload). Returns false when the
// destination is not reachable from a socket of `socket_family`.
bool DescribeSend(const OutPacket& packet, const uint8_t* header, int socket_family,
                  sockaddr_storage* name, iovec (&iov)[2], msghdr* message);

int CreateEventFd();               // non-blocking, close-on-exec; -1 on failure
void SignalEventFd(int fd);        // any thread
void DrainEventFd(int fd);         // owner thread
std::string ErrnoText(int error);  // strerror_r, thread-safe

}  // namespace mgw::io
