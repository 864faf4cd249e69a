#pragma once

// Outcome of parsing untrusted bytes: a view on success, a DropReason otherwise. Parsers never
// throw; callers count the reason and move on.

#include "mgw/dp/drop_reason.h"

namespace mgw::dp {

template <typename T>
struct ParseResult {
  T value{};
  DropReason reason = DropReason::kNone;

  static ParseResult Ok(const T& v) { return ParseResult{v, DropReason::kNone}; }
  static ParseResult Fail(DropReason r) { return ParseResult{T{}, r}; }

  bool ok() const { return reason == DropReason::kNone; }
  explicit operator bool() const { return ok(); }
  const T& operator*() const { return value; }
  T& operator*() { return value; }
  const T* operator->() const { return &value; }
  T* operator->() { return &value; }
};

}  // namespace mgw::dp
