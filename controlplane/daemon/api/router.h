#pragma once

#include <functional>
#include <optional>
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
    std::string allow;                // methods the pattern accepts, for 405's Allow
  };

  void Add(std::string method, std::string pattern, Handler handler) {
    std::vector<std::string> segments = Split(pattern);
    routes_.push_back(
        {std::move(method), std::move(pattern), std::move(handler), std::move(segments)});
  }

  // Nothing when no template matches the path (404).
  std::optional<Match> Find(std::string_view method, std::string_view path) const {
    const std::vector<std::string> parts = Split(path);
    int best_score = -1;
    std::string best_pattern;
    for (const Route& route : routes_) {
      int score = Score(route, parts);
      if (score > best_score) {
        best_score = score;
        best_pattern = route.pattern;
      }
    }
    if (best_score < 0) return std::nullopt;
    // Among the routes that match, the method decides; the best pattern with that method wins.
    Match match;
    int method_score = -1;
    for (const Route& route : routes_) {
      int score = Score(route, parts);
      if (score < 0) continue;
      if (route.method == method && score > method_score) {
        method_score = score;
        match.route = &route;
      }
    }
    match.pattern = match.route ? match.route->pattern : best_pattern;
    for (const Route& route : routes_) {
      if (route.pattern != match.pattern) continue;
      match.allow += (match.allow.empty() ? "" : ", ") + route.method;
    }
    if (match.route) {
      for (size_t i = 0; i < parts.size(); ++i) {
        if (match.route->segments[i].starts_with('{')) match.params.push_back(parts[i]);
      }
    }
    return match;
  }

  const std::vector<Route>& routes() const { return routes_; }

 private:
  static std::vector<std::string> Split(std::string_view path) {
    std::vector<std::string> parts;
    size_t start = path.starts_with('/') ? 1 : 0;
    while (start <= path.size()) {
      size_t end = path.find('/', start);
      if (end == std::string_view::npos) end = path.size();
      parts.emplace_back(path.substr(start, end - start));
      start = end + 1;
    }
    return parts;
  }

  // The number of literal segments matched, or -1 when the path does not fit the template.
  static int Score(const Route& route, const std::vector<std::string>& parts) {
    if (route.segments.size() != parts.size()) return -1;
    int literals = 0;
    for (size_t i = 0; i < parts.size(); ++i) {
      if (route.segments[i].starts_with('{')) {
        if (parts[i].empty()) return -1;
      } else if (route.segments[i] == parts[i]) {
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
