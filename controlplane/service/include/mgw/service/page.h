#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mgw::service {

// Offset pagination, the same on every list: `limit` items from `offset`, with the total count.
struct PageRequest {
  static constexpr std::size_t kDefaultLimit = 50;
  static constexpr std::size_t kMaxLimit = 200;

  std::size_t limit = kDefaultLimit;
  std::size_t offset = 0;
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::int64_t total = 0;
  std::size_t limit = 0;
  std::size_t offset = 0;
};

}  // namespace mgw::service
