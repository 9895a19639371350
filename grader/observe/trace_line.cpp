#include "observe/trace_line.h"

#include "util/text.h"

#include <cctype>
#include <charconv>
#include <cstdlib>

namespace kmgrade::observe {

using util::trim;

namespace {

template <typename T>
bool to_number(std::string_view s, T& out)
{
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

} // namespace

const std::string& TraceEvent::field(const std::string& key) const
{
  static const std::string k_empty;
  auto it = fields.find(key);
  return it == fields.end() ? k_empty : it->second;
}

std::map<std::string, std::string> parse_trace_fields(std::string_view text)
{
  std::map<std::string, std::string> fields;
  std::string* last = nullptr;
  std::size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && text[pos] == ' ') {
      ++pos;
    }
    std::size_t end = text.find(' ', pos);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    std::string_view token = text.substr(pos, end - pos);
    pos = end;
    if (token.empty()) {
      continue;
    }
    auto eq = token.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      if (last) {
        last->append(" ").append(token);
      }
      continue;
    }
    last = &(fields[std::string(token.substr(0, eq))] = std::string(token.substr(eq + 1)));
  }
  return fields;
}

std::optional<TraceEvent> parse_trace_line(std::string_view line)
{
  std::string_view s = trim(line);
  if (s.empty() || s.front() == '#') {
    return std::nullopt;
  }
  // The CPU column "[NNN]" is the anchor: the comm before it may hold spaces and dashes.
  auto open = s.find(" [");
  while (open != std::string_view::npos) {
    auto close = s.find(']', open);
    if (close != std::string_view::npos && close > open + 2) {
      int cpu = 0;
      if (to_number(s.substr(open + 2, close - open - 2), cpu)) {
        std::string_view task = trim(s.substr(0, open));
        auto dash = task.rfind('-');
        if (dash == std::string_view::npos) {
          return std::nullopt;
        }
        TraceEvent ev;
        ev.cpu = cpu;
        ev.comm = std::string(task.substr(0, dash));
        if (!to_number(task.substr(dash + 1), ev.pid)) {
          return std::nullopt;
        }
        std::string_view rest = trim(s.substr(close + 1));
        // Optional irq-info flags column, then "secs.usecs:".
        auto colon = rest.find(": ");
        if (colon == std::string_view::npos) {
          return std::nullopt;
        }
        std::string_view head = rest.substr(0, colon);
        auto space = head.rfind(' ');
        std::string_view stamp = space == std::string_view::npos ? head : head.substr(space + 1);
        auto dot = stamp.find('.');
        if (dot == std::string_view::npos) {
          return std::nullopt;
        }
        std::uint64_t secs = 0;
        std::uint64_t frac = 0;
        std::string_view frac_text = stamp.substr(dot + 1);
        if (!to_number(stamp.substr(0, dot), secs) || !to_number(frac_text, frac)) {
          return std::nullopt;
        }
        for (auto digits = frac_text.size(); digits < 9; ++digits) {
          frac *= 10;
        }
        ev.ts_ns = secs * 1'000'000'000ULL + frac;
        std::string_view body = rest.substr(colon + 2);
        auto name_end = body.find(": ");
        if (name_end != std::string_view::npos && body.substr(0, name_end).find(' ') == std::string_view::npos) {
          ev.name = std::string(body.substr(0, name_end));
          ev.text = std::string(body.substr(name_end + 2));
          // A console message is free text: "count=5" in it is not a field.
          if (ev.name != "console") {
            ev.fields = parse_trace_fields(ev.text);
          }
        } else {
          // Function tracer: "func <-parent".
          ev.name = "function";
          ev.text = std::string(body);
          auto arrow = body.find(" <-");
          ev.fields["func"] = std::string(trim(body.substr(0, arrow)));
          if (arrow != std::string_view::npos) {
            ev.fields["parent"] = std::string(trim(body.substr(arrow + 3)));
          }
        }
        return ev;
      }
    }
    open = s.find(" [", open + 1);
  }
  return std::nullopt;
}

bool refers_to_module(const TraceEvent& ev, const std::string& name, const ModuleRange& range)
{
  const std::string tag = "[" + name + "]";
  for (const auto& [key, value] : ev.fields) {
    if (value.find(tag) != std::string::npos) {
      return true;
    }
    if (range.size && value.rfind("0x", 0) == 0) {
      std::uint64_t addr = std::strtoull(value.c_str(), nullptr, 16);
      if (addr >= range.base && addr < range.base + range.size) {
        return true;
      }
    }
  }
  return false;
}

} // namespace kmgrade::observe
