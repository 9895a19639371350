#include "observe/event_stream.h"

#include "observe/head_and_tail.h"

#include <unordered_map>

namespace kmgrade::observe {

namespace {

constexpr std::size_t k_max_period = 4;

std::string signature(const StreamEvent& se)
{
  // Free text (a console message) is the event; otherwise the fields say it all, and the
  // text would repeat the pointer values the signature must not see.
  std::string sig = se.event.name + '|' + (se.event.fields.empty() ? se.event.text : std::string());
  sig += '|';
  sig += std::to_string(se.event.pid);
  sig += '|';
  sig += std::to_string(se.event.cpu);
  for (const auto& [key, value] : se.event.fields) {
    sig += '|';
    sig += key;
    sig += '=';
    auto ref = se.refs.find(key);
    if (ref != se.refs.end()) {
      sig += '@' + std::to_string(ref->second);
    } else if (key == "ptr" || key == "pfn" || key == "page") {
      sig += "@new";
    } else {
      sig += value;
    }
  }
  return sig;
}

} // namespace

EventStream reduce_events(const std::vector<TraceEvent>& events, std::size_t max_segments)
{
  EventStream out;
  out.total_events = events.size();
  std::vector<StreamEvent> stream;
  stream.reserve(events.size());
  std::unordered_map<std::string, std::size_t> last_seen;
  for (std::size_t i = 0; i < events.size(); ++i) {
    StreamEvent se{events[i], {}};
    ++out.counts[events[i].name];
    for (const char* key : k_pointer_fields) {
      auto it = events[i].fields.find(key);
      if (it == events[i].fields.end()) {
        continue;
      }
      auto seen = last_seen.find(it->second);
      if (seen != last_seen.end()) {
        se.refs[key] = i - seen->second;
      }
      last_seen[it->second] = i;
    }
    stream.push_back(std::move(se));
  }

  std::vector<std::string> sigs;
  sigs.reserve(stream.size());
  for (const auto& se : stream) {
    sigs.push_back(signature(se));
  }

  std::size_t i = 0;
  while (i < stream.size()) {
    std::size_t best_period = 1;
    std::size_t best_repeat = 1;
    for (std::size_t p = 1; p <= k_max_period && i + 2 * p <= stream.size(); ++p) {
      std::size_t n = 1;
      while (i + (n + 1) * p <= stream.size()) {
        bool same = true;
        for (std::size_t k = 0; k < p && same; ++k) {
          same = sigs[i + n * p + k] == sigs[i + k];
        }
        if (!same) {
          break;
        }
        ++n;
      }
      if (n >= 2 && n * p > best_repeat * best_period) {
        best_period = p;
        best_repeat = n;
      }
    }
    Segment seg;
    seg.repeat = best_repeat;
    seg.block.assign(stream.begin() + static_cast<std::ptrdiff_t>(i),
                     stream.begin() + static_cast<std::ptrdiff_t>(i + best_period));
    seg.first_ts_ns = stream[i].event.ts_ns;
    seg.last_ts_ns = stream[i + best_period * best_repeat - 1].event.ts_ns;
    out.segments.push_back(std::move(seg));
    i += best_period * best_repeat;
  }

  out.omitted_segments = HeadAndTail{max_segments, max_segments * 3 / 4}.cap(out.segments);
  return out;
}

nlohmann::json to_json(const TraceEvent& ev)
{
  nlohmann::json j = {{"comm", ev.comm},   {"pid", ev.pid},   {"cpu", ev.cpu},
                      {"ts_ns", ev.ts_ns}, {"name", ev.name}, {"fields", ev.fields}};
  // Free text (a console message) has no key=value structure worth keeping as fields.
  if (ev.fields.empty()) {
    j["text"] = ev.text;
  }
  return j;
}

TraceEvent trace_event_from_json(const nlohmann::json& j)
{
  TraceEvent ev;
  ev.comm = j.at("comm").get<std::string>();
  ev.pid = j.at("pid").get<int>();
  ev.cpu = j.at("cpu").get<int>();
  ev.ts_ns = j.at("ts_ns").get<std::uint64_t>();
  ev.name = j.at("name").get<std::string>();
  ev.fields = j.at("fields").get<std::map<std::string, std::string>>();
  ev.text = j.value("text", "");
  return ev;
}

nlohmann::json to_json(const EventStream& stream)
{
  nlohmann::json segments = nlohmann::json::array();
  for (const auto& seg : stream.segments) {
    nlohmann::json block = nlohmann::json::array();
    for (const auto& se : seg.block) {
      auto j = to_json(se.event);
      if (!se.refs.empty()) {
        j["refs"] = se.refs;
      }
      block.push_back(std::move(j));
    }
    segments.push_back({{"repeat", seg.repeat},
                        {"first_ts_ns", seg.first_ts_ns},
                        {"last_ts_ns", seg.last_ts_ns},
                        {"block", std::move(block)}});
  }
  return {{"segments", std::move(segments)},
          {"counts", stream.counts},
          {"omitted_segments", stream.omitted_segments},
          {"total_events", stream.total_events}};
}

EventStream event_stream_from_json(const nlohmann::json& j)
{
  EventStream stream;
  stream.counts = j.at("counts").get<std::map<std::string, std::size_t>>();
  stream.omitted_segments = j.at("omitted_segments").get<std::size_t>();
  stream.total_events = j.at("total_events").get<std::size_t>();
  for (const auto& js : j.at("segments")) {
    Segment seg;
    seg.repeat = js.at("repeat").get<std::size_t>();
    seg.first_ts_ns = js.at("first_ts_ns").get<std::uint64_t>();
    seg.last_ts_ns = js.at("last_ts_ns").get<std::uint64_t>();
    for (const auto& je : js.at("block")) {
      StreamEvent se{trace_event_from_json(je), {}};
      if (je.contains("refs")) {
        se.refs = je.at("refs").get<std::map<std::string, std::size_t>>();
      }
      seg.block.push_back(std::move(se));
    }
    stream.segments.push_back(std::move(seg));
  }
  return stream;
}

std::string describe(const TraceEvent& ev)
{
  std::string out = ev.name;
  for (const auto& [key, value] : ev.fields) {
    out += ' ';
    out += key;
    out += '=';
    out += value;
  }
  out += " by " + ev.comm + '-' + std::to_string(ev.pid) + " on CPU " + std::to_string(ev.cpu);
  return out;
}

} // namespace kmgrade::observe
