#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "mgw/control/control_protocol.h"
#include "mgw/service/services.h"
#include "mgw/service/signalling_service.h"
#include "mgw/storage/participant_media_store.h"
#include "node/dataplane_link.h"

namespace mgw::controlplane {

// How the database's participations become dataplane commands (api/dataplane-control.md).
// A participation is "p<participation id>" on the dataplane; a meeting keeps its id.
std::string DataplaneParticipantId(std::int64_t participation_id);
control::AddParticipant AddCommandFor(std::string_view meeting_id,
                                      const storage::ParticipantMedia& participant);
// The `swap` for the removals and the added feeds without an RFC 4588 stream (change.rtx).
control::Swap SwapCommandFor(std::int64_t subscriber_id, const service::FeedChange& change);

// Programs a feed change: the swap above (when it has anything to do, or nothing has RTX), then
// one `subscribe` with `rtx_ssrc`/`rtx_payload_type` per added feed with RTX (a swap carries no
// RTX fields). When a step fails, the earlier ones are undone as far as the dataplane lets (the
// feeds subscribed unsubscribed, the swap reversed at the change's bitrate) and the error is
// rethrown, so the caller's transaction rolls back over a dataplane that is as it was.
using DataplaneCall = std::function<boost::json::object(const control::Command&)>;
void ProgramFeedChange(const DataplaneCall& call, std::int64_t subscriber_id,
                       const service::FeedChange& change);

inline constexpr std::uint64_t kDefaultVideoBitrate = 1'500'000;

// Programs a freshly (re)started dataplane from the database: every open participation with
// media in every active meeting placed on `node_id`, then their video subscriptions. Returns the
// number of participants added. Throws what DataplaneLink::Call throws.
std::size_t ReprogramDataplane(DataplaneLink& link, service::Services& services,
                               std::string_view node_id);

}  // namespace mgw::controlplane
