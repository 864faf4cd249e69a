#include "problem_response.h"

#include <boost/json.hpp>
#include <string>

namespace mgw::controlplane {

http::Response ProblemResponse(int status, std::string_view type, std::string_view title,
                               std::string_view detail) {
  boost::json::object body{{"type", type}, {"title", title}, {"status", status}};
  if (!detail.empty()) body["detail"] = detail;
  return http::Response{status, "application/problem+json", {}, boost::json::serialize(body)};
}

http::Response ProblemResponse(const service::ServiceError& error) {
  const int status = service::HttpStatusOf(error.kind());
  boost::json::object body{{"type", error.type()}, {"title", error.title()}, {"status", status}};
  if (!error.detail().empty()) body["detail"] = error.detail();
  if (error.field()) body["field"] = *error.field();
  http::Response response{status, "application/problem+json", {}, boost::json::serialize(body)};
  if (error.retry_after_seconds()) {
    response.headers.emplace_back("retry-after", std::to_string(*error.retry_after_seconds()));
  }
  if (status == 401) response.headers.emplace_back("www-authenticate", "Bearer");
  return response;
}

}  // namespace mgw::controlplane
