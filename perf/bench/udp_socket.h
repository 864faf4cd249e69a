#pragma once

// Small helpers for the kernel UDP sockets of the load generator, sink and relay baseline.

#include <netinet/in.h>

#include <cstdint>

namespace mgw::bench {

sockaddr_in Ipv4SocketAddress(uint32_t address, uint16_t port);  // host byte order in
// A UDP socket bound to address:port (port 0: any), with large buffers; throws on failure.
int OpenUdpSocket(uint32_t address, uint16_t port, bool nonblocking);
uint16_t LocalPort(int fd);
// A UDP port that was free a moment ago (for daemons that take a port number).
uint16_t PickFreeUdpPort();
uint16_t PickFreeTcpPort();

}  // namespace mgw::bench
