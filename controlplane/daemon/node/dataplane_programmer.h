#pragma once

#include <cstdint>
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
control::Swap SwapCommandFor(std::int64_t subscriber_id, const service::FeedChange& change);

inline constexpr std::uint64_t kDefaultVideoBitrate = 1'500'000;

// Programs a freshly (re)started dataplane from the database: every open participation with
// media in every active meeting placed on `node_id`, then their video subscriptions. Returns the
// number of participants added. Throws what DataplaneLink::Call throws.
std::size_t ReprogramDataplane(DataplaneLink& link, service::Services& services,
                               std::string_view node_id);

}  // namespace mgw::controlplane
