#pragma once

#include <algorithm>
#include <cstddef>
#include <iterator>

namespace kmgrade::observe {

// A cap on a sequence that keeps its head and its tail and cuts the middle: the head says
// how something started, the tail how it ended (a flood's last lines, a tool's last words).
struct HeadAndTail
{
  std::size_t max = 0;  // items kept at most
  std::size_t head = 0; // of them, from the start (at most max); the rest from the end

  std::size_t tail() const { return max - std::min(head, max); }

  // Is item i of `total` kept?
  bool keeps(std::size_t i, std::size_t total) const { return total <= max || i < head || i >= total - tail(); }

  // Cuts the middle out of `items`; returns how many items were cut.
  template <typename Container>
  std::size_t cap(Container& items) const
  {
    if (items.size() <= max) {
      return 0;
    }
    const std::size_t cut = items.size() - max;
    const auto from = items.begin() + static_cast<std::ptrdiff_t>(std::min(head, max));
    items.erase(from, from + static_cast<std::ptrdiff_t>(cut));
    return cut;
  }
};

// HeadAndTail over a sequence that arrives in pieces, its length unknown until the end
// (a program's output, the kernel log as it is written). Container: std::string or a vector.
template <typename Container>
class HeadAndTailKeeper
{
public:
  explicit HeadAndTailKeeper(HeadAndTail cap = {}) : m_cap(cap) {}

  // Adds [first, last) after what came before.
  template <typename It>
  void append(It first, It last)
  {
    while (first != last && m_head.size() < std::min(m_cap.head, m_cap.max)) {
      m_head.push_back(*first++);
    }
    const auto before = m_tail.size();
    m_tail.insert(m_tail.end(), first, last);
    m_past_head += m_tail.size() - before;
    // Trimmed when twice the tail, so each item is moved a bounded number of times.
    if (m_tail.size() > 2 * m_cap.tail()) {
      trim();
    }
  }

  void push_back(typename Container::value_type item)
  {
    append(std::make_move_iterator(&item), std::make_move_iterator(&item + 1));
  }

  // Items cut so far.
  std::size_t cut() const { return m_past_head - std::min(m_past_head, m_cap.tail()); }

  // What is kept: the head, and the tail; the keeper is empty afterwards.
  Container take_head() { return std::move(m_head); }
  Container take_tail()
  {
    trim();
    return std::move(m_tail);
  }

private:
  void trim()
  {
    if (m_tail.size() > m_cap.tail()) {
      m_tail.erase(m_tail.begin(), m_tail.end() - static_cast<std::ptrdiff_t>(m_cap.tail()));
    }
  }

  HeadAndTail m_cap;
  Container m_head;
  Container m_tail;
  std::size_t m_past_head = 0; // items that came after the head was full
};

} // namespace kmgrade::observe
