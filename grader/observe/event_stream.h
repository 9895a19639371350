#pragma once

#include "observe/trace_line.h"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace kmgrade::observe {

// Fields whose values are addresses of objects: their pairing (which free matches which
// allocation) is kept as a distance back in the stream, so that a loop of a million
// alloc/free pairs reduces to one repeated block.
inline const char* const k_pointer_fields[] = {"ptr", "pfn"};

// An event of a reduced stream. `refs` maps a pointer field to how many events back the
// same value last appeared (absent: not seen before in this stream).
struct StreamEvent
{
  TraceEvent event;
  std::map<std::string, std::size_t> refs;
};

// A block of events that occurred `repeat` times in a row, the first occurrence kept.
struct Segment
{
  std::size_t repeat = 1;
  std::vector<StreamEvent> block;
  std::uint64_t first_ts_ns = 0;
  std::uint64_t last_ts_ns = 0;
};

// A lossless-in-shape summary of an event sequence: exact counts per event name, and the
// sequence as run-length-encoded blocks of up to four events. Beyond `max_segments`, the
// middle is dropped (`omitted_segments` says how many), never the counts.
struct EventStream
{
  std::vector<Segment> segments;
  std::map<std::string, std::size_t> counts;
  std::size_t omitted_segments = 0;
  std::size_t total_events = 0;
};

EventStream reduce_events(const std::vector<TraceEvent>& events, std::size_t max_segments);

nlohmann::json to_json(const TraceEvent& ev);
TraceEvent trace_event_from_json(const nlohmann::json& j);
nlohmann::json to_json(const EventStream& stream);
EventStream event_stream_from_json(const nlohmann::json& j);

// One line a person can read: "kmalloc bytes_req=32 ... by hello_thread-85 on CPU 1".
std::string describe(const TraceEvent& ev);

} // namespace kmgrade::observe
