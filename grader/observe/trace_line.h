#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kmgrade::observe {

// One line of tracefs `trace` output: an event, or a function-tracer hit (name "function",
// fields "func" and "parent").
struct TraceEvent
{
  std::string comm;
  int pid = 0;
  int cpu = 0;
  std::uint64_t ts_ns = 0;
  std::string name; // the tracepoint's name ("kmalloc", "console", "function", ...)
  std::map<std::string, std::string> fields;
  std::string text; // everything after "name: ", as the kernel printed it

  // Field value, or "" when absent.
  const std::string& field(const std::string& key) const;
};

// Parses one line in the default tracefs format
// "  comm-pid  [cpu] flags  secs.usecs: name: key=value ...". Returns nullopt for
// comment lines ("#"), blank lines and anything else that is not an event.
std::optional<TraceEvent> parse_trace_line(std::string_view line);

// The address range of a loaded module's core image.
struct ModuleRange
{
  std::uint64_t base = 0;
  std::uint64_t size = 0;
};

// True when a field of `ev` names module `name` ("fn+0x10/0x20 [name]") or holds an address
// ("0x...") inside its code: call sites print as raw addresses once the module is gone.
bool refers_to_module(const TraceEvent& ev, const std::string& name, const ModuleRange& range);

// Splits "a=1 b=x [mod] c=3" into fields; a token without '=' joins the previous value
// (so "call_site=fn+0x1/0x2 [mod]" keeps its module suffix).
std::map<std::string, std::string> parse_trace_fields(std::string_view text);

} // namespace kmgrade::observe
