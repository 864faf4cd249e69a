#include "mgw/rec/av_aligner.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>

namespace mgw::rec {

using std::chrono::duration_cast;
using std::chrono::microseconds;

std::vector<StreamPlacement> PlaceStreams(const std::vector<StreamStart>& streams,
                                          TimePoint recording_start,
                                          const SenderReportClocks& clocks) {
  std::vector<StreamPlacement> out(streams.size());
  std::vector<std::optional<int64_t>> wallclock(streams.size());
  std::map<std::string, std::vector<size_t>> groups;
  for (size_t i = 0; i < streams.size(); ++i) {
    const auto arrival = std::max(
        microseconds{0}, duration_cast<microseconds>(streams[i].first_arrival - recording_start));
    out[i].start = arrival;
    if (streams[i].sync_group.empty()) continue;
    wallclock[i] = clocks.WallclockMicros(streams[i].ssrc, streams[i].first_rtp_timestamp);
    if (wallclock[i]) groups[streams[i].sync_group].push_back(i);
  }
  for (const auto& [group, members] : groups) {
    if (members.size() < 2) continue;  // nothing to align against
    int64_t earliest_wallclock = std::numeric_limits<int64_t>::max();
    for (size_t i : members) earliest_wallclock = std::min(earliest_wallclock, *wallclock[i]);
    // The group's origin: where its earliest wallclock instant falls on the file timeline,
    // judged by the stream that arrived with the least delay.
    int64_t origin = std::numeric_limits<int64_t>::max();
    for (size_t i : members) {
      origin = std::min(origin, out[i].start.count() - (*wallclock[i] - earliest_wallclock));
    }
    origin = std::max<int64_t>(origin, 0);
    for (size_t i : members) {
      const microseconds placed{origin + (*wallclock[i] - earliest_wallclock)};
      out[i].correction = placed - out[i].start;
      out[i].start = placed;
      out[i].from_sender_reports = true;
    }
  }
  return out;
}

}  // namespace mgw::rec
