// The bounded priority queue between Socket Mode's I/O threads and the threads that work on
// envelopes: urgent work (approve and deny clicks, modal submissions) is taken first and is the
// last to be shed when the queue is full.
#pragma once

#include <array>
#include <cstddef>
#include <deque>
#include <optional>
#include <utility>

namespace jit::slack {

enum class Priority { low = 0, normal = 1, urgent = 2 };

// Not thread-safe: the owner locks. FIFO within a priority.
template <class T>
class BoundedPriorityQueue {
 public:
  // At most `limit` items (at least 1).
  explicit BoundedPriorityQueue(std::size_t limit) : limit_(limit < 1 ? 1 : limit) {}

  // Adds `item`. When the queue is full one item is shed and returned: the newest of the lowest
  // priority waiting, if that is below `priority`; otherwise `item` itself (a full queue of work
  // as urgent as it or more keeps that work).
  std::optional<std::pair<T, Priority>> push(T item, Priority priority) {
    if (size_ < limit_) {
      level(priority).push_back(std::move(item));
      ++size_;
      return std::nullopt;
    }
    for (int p = 0; p < static_cast<int>(priority); ++p) {
      auto& lower = levels_[static_cast<std::size_t>(p)];
      if (lower.empty()) continue;
      std::pair<T, Priority> shed{std::move(lower.back()), static_cast<Priority>(p)};
      lower.pop_back();
      level(priority).push_back(std::move(item));
      return shed;
    }
    return std::pair<T, Priority>{std::move(item), priority};
  }

  // The oldest item of the highest priority waiting, if that is at least `at_least`; else nullopt.
  std::optional<T> pop(Priority at_least = Priority::low) {
    for (int p = static_cast<int>(levels_.size()) - 1; p >= static_cast<int>(at_least); --p) {
      auto& here = levels_[static_cast<std::size_t>(p)];
      if (here.empty()) continue;
      T item = std::move(here.front());
      here.pop_front();
      --size_;
      return item;
    }
    return std::nullopt;
  }

  // Whether an item of priority `at_least` or higher is waiting.
  bool has(Priority at_least = Priority::low) const {
    for (int p = static_cast<int>(at_least); p < static_cast<int>(levels_.size()); ++p)
      if (!levels_[static_cast<std::size_t>(p)].empty()) return true;
    return false;
  }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

 private:
  std::deque<T>& level(Priority p) { return levels_[static_cast<std::size_t>(p)]; }

  std::array<std::deque<T>, 3> levels_;
  std::size_t size_ = 0;
  const std::size_t limit_;
};

}  // namespace jit::slack
