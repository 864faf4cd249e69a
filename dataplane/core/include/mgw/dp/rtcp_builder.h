#pragma once

// Writers for the RTCP packets the dataplane originates or rewrites. Each returns the number of
// bytes written into `out`, or 0 when `out` is too small (nothing useful is written then).

#include <cstddef>
#include <cstdint>
#include <span>

#include "mgw/dp/rtcp_report.h"

namespace mgw::dp {

size_t BuildSenderReport(std::span<uint8_t> out, uint32_t ssrc, const SenderInfo& info,
                         std::span<const ReportBlock> blocks);

size_t BuildReceiverReport(std::span<uint8_t> out, uint32_t sender_ssrc,
                           std::span<const ReportBlock> blocks);

size_t BuildPli(std::span<uint8_t> out, uint32_t sender_ssrc, uint32_t media_ssrc);

size_t BuildFir(std::span<uint8_t> out, uint32_t sender_ssrc, uint32_t media_ssrc, uint8_t seq_nr);

// Packs `lost` (ascending, wrap-aware) into as few PID/BLP items as possible.
size_t BuildNack(std::span<uint8_t> out, uint32_t sender_ssrc, uint32_t media_ssrc,
                 std::span<const uint16_t> lost);

}  // namespace mgw::dp
