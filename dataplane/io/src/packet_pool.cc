#include "mgw/io/packet_pool.h"

#include <sys/mman.h>

#include <cstdio>
#include <cstdlib>

namespace mgw::io {

PacketPool::PacketPool(uint32_t count, uint32_t buffer_size, uint32_t headroom)
    : count_(count),
      buffer_size_((buffer_size + 63) & ~63u),
      headroom_(headroom),
      packets_(new Packet[count]),
      free_(new uint32_t[count]) {
  if (headroom_ >= buffer_size_ || count_ == 0) {
    std::fprintf(stderr, "mgw::io::PacketPool: headroom %u must be below buffer size %u\n",
                 headroom_, buffer_size_);
    std::abort();
  }
  buffers_bytes_ = static_cast<size_t>(count_) * buffer_size_;
  // mmap rather than new: page-aligned, untouched pages cost nothing until used.
  void* memory =
      mmap(nullptr, buffers_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) {
    std::perror("mgw::io::PacketPool: mmap");
    std::abort();
  }
  buffers_ = static_cast<uint8_t*>(memory);
  for (uint32_t slot = 0; slot < count_; ++slot) {
    packets_[slot].handle = this;
    packets_[slot].slot = slot;
    Reset(&packets_[slot]);
    // Hand out low slots first: the free list is a stack.
    free_[slot] = count_ - 1 - slot;
  }
  free_count_ = count_;
}

PacketPool::~PacketPool() { munmap(buffers_, buffers_bytes_); }

Packet* PacketPool::Allocate() {
  if (free_count_ == 0) return nullptr;
  Packet* packet = &packets_[free_[--free_count_]];
  Reset(packet);
  packet->refs = 1;
  return packet;
}

void PacketPool::Reset(Packet* packet) const {
  packet->data = buffer(packet->slot) + headroom_;
  packet->length = 0;
  packet->headroom = headroom_;
  packet->tailroom = buffer_size_ - headroom_;
}

}  // namespace mgw::io
