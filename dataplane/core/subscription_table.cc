#include "mgw/dp/subscription_table.h"

#include <algorithm>
#include <string>

#include "mgw/dp/config_error.h"

namespace mgw::dp {

SubscriptionTable::SubscriptionTable(uint32_t max_legs) : by_output_(max_legs) {}

LegId SubscriptionTable::Add(Leg leg) {
  const uint64_t key = OutputKey(leg.subscriber, leg.rewriter.output_ssrc());
  if (by_output_.Contains(key)) {
    throw ConfigError("subscriber already receives SSRC " +
                      std::to_string(leg.rewriter.output_ssrc()));
  }
  if (by_output_.full()) throw ConfigError("subscription table full");
  LegId id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    id = static_cast<LegId>(legs_.size());
    legs_.emplace_back();
  }
  leg.used = true;
  legs_[id] = leg;
  if (by_stream_.size() <= leg.stream) by_stream_.resize(leg.stream + 1);
  if (by_subscriber_.size() <= leg.subscriber) by_subscriber_.resize(leg.subscriber + 1);
  by_stream_[leg.stream].push_back(id);
  by_subscriber_[leg.subscriber].push_back(id);
  by_output_.Insert(key, id);
  return id;
}

void SubscriptionTable::Unlist(std::vector<LegId>& list, LegId id) {
  // Order within a fan-out list carries no meaning, so swap-and-pop.
  auto it = std::find(list.begin(), list.end(), id);
  if (it != list.end()) {
    *it = list.back();
    list.pop_back();
  }
}

void SubscriptionTable::Remove(LegId id) {
  Leg& leg = legs_.at(id);
  if (!leg.used) return;
  Unlist(by_stream_[leg.stream], id);
  Unlist(by_subscriber_[leg.subscriber], id);
  by_output_.Erase(OutputKey(leg.subscriber, leg.rewriter.output_ssrc()));
  leg = Leg{};
  free_.push_back(id);
}

void SubscriptionTable::Move(LegId id, StreamId new_stream) {
  Leg& leg = legs_.at(id);
  Unlist(by_stream_[leg.stream], id);
  if (by_stream_.size() <= new_stream) by_stream_.resize(new_stream + 1);
  by_stream_[new_stream].push_back(id);
  leg.stream = new_stream;
}

LegId SubscriptionTable::FindByStream(uint32_t subscriber, StreamId stream) const {
  for (LegId id : LegsFor(subscriber)) {
    if (legs_[id].stream == stream) return id;
  }
  return kInvalidIndex;
}

}  // namespace mgw::dp
