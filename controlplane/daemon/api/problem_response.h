#pragma once

#include <string_view>

#include "mgw/common/http_server.h"
#include "mgw/service/service_error.h"

namespace mgw::controlplane {

// RFC 9457 problem details (application/problem+json): type, title, status, detail, and the
// extension member `field` when one request field is at fault. A rate-limit refusal carries
// Retry-After.
http::Response ProblemResponse(const service::ServiceError& error);
http::Response ProblemResponse(int status, std::string_view type, std::string_view title,
                               std::string_view detail);

}  // namespace mgw::controlplane
