#pragma once

#include <array>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mgw::controlplane {

// Maps (method, path) to a route by template ("/meeting/{meeting_id}"). Literal segments beat
// parameters, so "/meeting/join" is never read as a meeting id. The matched template is also the
// bounded `route` label of the request metrics. Built once at start-up, then read-only.
template <typename Handler>
class Router {
 public:
  struct Route {
    std::string method;
    std::string pattern;
    Handler handler;
    std::vector<std::string> segments;
  };

  struct Match {
    const Route* route = nullptr;     // null: the path exists, the method does not (405)
    std::string pattern;              // the best-matching template
    std::vector<std::string> params;  // values of the {parameters}, in order
    std::string allow;                // when route is null: the pattern's methods, for 405's Allow
  };

  void Add(std::string method, std::string pattern, Handler handler) {
    Parts parts;
    if (!Split(pattern, parts)) throw std::invalid_argument("route with too many segments");
    std::vector<std::string> segments(parts.at.begin(), parts.at.begin() + parts.count);
    routes_.push_back(
        {std::move(method), std::move(pattern), std::move(handler), std::move(segments)});
  }

  // Nothing when no template matches the path (404). One pass over the routes, the path split
  // into views of itself on the stack: this runs on every request (twice: for the metrics label
  // and to dispatch).
  std::optional<Match> Find(std::string_view method, std::string_view path) const {
    Parts parts;
    if (!Split(path, parts)) return std::nullopt;  // longer than any route
    const Route* best = nullptr;                   // the best-matching template, any method
    const Route* best_method = nullptr;            // the best one with this method
    int best_score = -1;
    int method_score = -1;
    for (const Route& route : routes_) {
      const int score = Score(route, parts);
      if (score < 0) continue;
      if (score > best_score) {
        best_score = score;
        best = &route;
      }
      // Among the routes that match, the method decides; the best pattern with it wins.
      if (score > method_score && route.method == method) {
        method_score = score;
        best_method = &route;
      }
    }
    if (best == nullptr) return std::nullopt;
    Match match;
    match.route = best_method;
    match.pattern = best_method != nullptr ? best_method->pattern : best->pattern;
    if (best_method != nullptr) {
      for (size_t i = 0; i < parts.count; ++i) {
        if (best_method->segments[i].starts_with('{')) match.params.emplace_back(parts.at[i]);
      }
      return match;
    }
    for (const Route& route : routes_) {  // 405: the methods the pattern accepts
      if (route.pattern != match.pattern) continue;
      match.allow += (match.allow.empty() ? "" : ", ") + route.method;
    }
    return match;
  }

  const std::vector<Route>& routes() const { return routes_; }

 private:
  // A path's segments; routes have at most kMaxSegments.
  static constexpr size_t kMaxSegments = 16;
  struct Parts {
    std::array<std::string_view, kMaxSegments> at;
    size_t count = 0;
  };

  // False when the path has more than kMaxSegments segments.
  static bool Split(std::string_view path, Parts& parts) {
    size_t start = path.starts_with('/') ? 1 : 0;
    while (start <= path.size()) {
      if (parts.count == kMaxSegments) return false;
      size_t end = path.find('/', start);
      if (end == std::string_view::npos) end = path.size();
      parts.at[parts.count++] = path.substr(start, end - start);
      start = end + 1;
    }
    return true;
  }

  // The number of literal segments matched, or -1 when the path does not fit the template.
  static int Score(const Route& route, const Parts& parts) {
    if (route.segments.size() != parts.count) return -1;
    int literals = 0;
    for (size_t i = 0; i < parts.count; ++i) {
      if (route.segments[i].starts_with('{')) {
        if (parts.at[i].empty()) return -1;
      } else if (route.segments[i] == parts.at[i]) {
        ++literals;
      } else {
        return -1;
      }
    }
    return literals;
  }

  std::vector<Route> routes_;
};

}  // namespace mgw::controlplane
