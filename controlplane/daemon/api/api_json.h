#pragma once

#include <boost/json.hpp>
#include <string>

#include "mgw/service/api_key_service.h"
#include "mgw/service/meeting_service.h"
#include "mgw/service/page.h"
#include "mgw/storage/account_store.h"
#include "mgw/storage/clock.h"
#include "mgw/storage/meeting_store.h"

// The JSON representations of the API's resources, as api/openapi.yaml describes them. Times are
// RFC 3339 UTC with milliseconds ("2030-03-17T17:46:40.000Z").
namespace mgw::controlplane::api_json {

std::string Time(storage::TimePoint time);

boost::json::object Account(const storage::Account& account);
boost::json::object Token(const storage::AccessToken& token, bool current);
boost::json::object ApiKey(const storage::ApiKey& key);
boost::json::object Meeting(const service::MeetingView& view);
boost::json::object Recipient(const storage::RecordingRecipient& recipient);

// {"items": [...], "total": n, "limit": l, "offset": o}
template <typename T, typename Fn>
boost::json::object PageOf(const service::Page<T>& page, Fn&& to_json) {
  boost::json::array items;
  for (const T& item : page.items) items.push_back(to_json(item));
  return {{"items", std::move(items)},
          {"total", page.total},
          {"limit", page.limit},
          {"offset", page.offset}};
}

}  // namespace mgw::controlplane::api_json
