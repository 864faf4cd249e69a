#pragma once

#include <boost/json.hpp>
#include <optional>
#include <string_view>

#include "mgw/service/schedule_service.h"
#include "mgw/storage/clock.h"

// The HTTP representation of scheduled conferences (api/openapi.yaml: Schedule, ScheduleCreate,
// ScheduleUpdate), read strictly like JsonBody: malformed JSON is 400, a wrong type, a bad time
// or an unknown field 422 naming the field.
namespace mgw::controlplane::schedule_json {

service::CreateScheduleRequest ReadCreate(std::string_view body);
service::UpdateScheduleRequest ReadUpdate(std::string_view body);
boost::json::object Schedule(const service::ScheduleView& view);

// RFC 3339 date-time ("2030-03-17T17:46:40Z", fractions and numeric offsets allowed); nothing
// when the text is not one.
std::optional<storage::TimePoint> ParseTime(std::string_view text);

}  // namespace mgw::controlplane::schedule_json
