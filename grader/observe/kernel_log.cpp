#include "observe/kernel_log.h"

#include <charconv>

namespace kmgrade::observe {

namespace {

bool starts_with_any(std::string_view text, std::initializer_list<std::string_view> prefixes)
{
  for (auto p : prefixes) {
    if (text.substr(0, p.size()) == p) {
      return true;
    }
  }
  return false;
}

} // namespace

std::optional<LogRecord> parse_kmsg_record(std::string_view record)
{
  auto semi = record.find(';');
  if (semi == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view header = record.substr(0, semi);
  std::uint64_t parts[3] = {0, 0, 0};
  std::size_t pos = 0;
  for (auto& part : parts) {
    auto comma = header.find(',', pos);
    std::string_view field = header.substr(pos, comma == std::string_view::npos ? header.size() - pos : comma - pos);
    auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), part);
    if (ec != std::errc() || end != field.data() + field.size()) {
      return std::nullopt;
    }
    if (comma == std::string_view::npos) {
      if (&part != &parts[2]) {
        return std::nullopt;
      }
      break;
    }
    pos = comma + 1;
  }
  LogRecord rec;
  rec.level = static_cast<int>(parts[0] & 7);
  rec.seq = parts[1];
  rec.ts_us = parts[2];
  std::string_view text = record.substr(semi + 1);
  auto newline = text.find('\n');
  rec.text = std::string(text.substr(0, newline));
  return rec;
}

KernelTrouble classify_log_line(std::string_view text)
{
  if (text.find("soft lockup") != std::string_view::npos) {
    return KernelTrouble::soft_lockup;
  }
  if (text.find("blocked for more than") != std::string_view::npos) {
    return KernelTrouble::hung_task;
  }
  if (text.find("rcu_sched detected stall") != std::string_view::npos ||
      text.find("rcu_preempt detected stall") != std::string_view::npos ||
      text.find("self-detected stall on CPU") != std::string_view::npos) {
    return KernelTrouble::rcu_stall;
  }
  if (text.find("still has objects") != std::string_view::npos) {
    return KernelTrouble::slab_leak;
  }
  if (starts_with_any(text, {"Oops:", "general protection fault", "BUG: unable to handle",
                             "BUG: kernel NULL pointer dereference", "Kernel panic"})) {
    return KernelTrouble::oops;
  }
  if (starts_with_any(text, {"BUG: ", "BUG ", "kernel BUG at"})) {
    return KernelTrouble::bug;
  }
  if (text.substr(0, 9) == "WARNING: ") {
    return KernelTrouble::warning;
  }
  return KernelTrouble::none;
}

bool is_stall(KernelTrouble trouble)
{
  return trouble == KernelTrouble::soft_lockup || trouble == KernelTrouble::hung_task ||
         trouble == KernelTrouble::rcu_stall;
}

const char* to_string(KernelTrouble trouble)
{
  switch (trouble) {
    case KernelTrouble::none:
      return "none";
    case KernelTrouble::oops:
      return "Oops";
    case KernelTrouble::bug:
      return "BUG";
    case KernelTrouble::warning:
      return "WARNING";
    case KernelTrouble::soft_lockup:
      return "soft lockup";
    case KernelTrouble::hung_task:
      return "hung task";
    case KernelTrouble::rcu_stall:
      return "RCU stall";
    case KernelTrouble::slab_leak:
      return "slab cache still has objects";
  }
  return "none";
}

} // namespace kmgrade::observe
