// A tracefs `trace` file as the agent reads it (a module chooses its comm, its console
// text and, through its call sites, much of each line), parsed, reduced and sent to the
// host as JSON the way the agent sends it.

#include "check.h"
#include "observe/event_stream.h"
#include "observe/trace_line.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string_view>
#include <vector>

using namespace kmgrade::observe;

namespace {

std::size_t events_in(const EventStream& stream)
{
  std::size_t n = 0;
  for (const auto& seg : stream.segments) {
    check(seg.repeat >= 1 && !seg.block.empty(), "empty segment");
    n += seg.repeat * seg.block.size();
  }
  return n;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<TraceEvent> events;
  std::size_t start = 0;
  while (start < input.size()) {
    auto end = input.find('\n', start);
    if (end == std::string_view::npos) {
      end = input.size();
    }
    if (auto ev = parse_trace_line(input.substr(start, end - start))) {
      describe(*ev);
      events.push_back(std::move(*ev));
    }
    start = end + 1;
  }

  // Small enough that a few dozen lines already overflow it and drop the middle.
  const std::size_t max_segments = 6;
  const EventStream stream = reduce_events(events, max_segments);
  check(stream.total_events == events.size(), "total_events is not the number of events");
  std::size_t counted = 0;
  for (const auto& [name, n] : stream.counts) {
    counted += n;
  }
  check(counted == events.size(), "counts do not add up to the events");
  check(stream.segments.size() <= max_segments, "more segments than max_segments");
  if (stream.omitted_segments == 0) {
    check(events_in(stream) == events.size(), "segments do not add up to the events");
  }

  const std::string wire = to_json(stream).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
  const EventStream back = event_stream_from_json(nlohmann::json::parse(wire));
  check(back.total_events == stream.total_events && back.segments.size() == stream.segments.size() &&
          back.omitted_segments == stream.omitted_segments,
        "the stream does not survive its trip to the host");
  return 0;
}
