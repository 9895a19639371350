#include "observe/user_steps.h"

namespace kmgrade::observe {

namespace {

[[noreturn]] void refuse(const std::string& why)
{
  throw nlohmann::json::other_error::create(501, why, static_cast<const nlohmann::json*>(nullptr));
}

StepKind kind_from_json(const nlohmann::json& j)
{
  const auto text = j.get<std::string>();
  for (auto kind : {StepKind::write, StepKind::read, StepKind::stat}) {
    if (text == to_string(kind)) {
      return kind;
    }
  }
  refuse("unknown step kind " + j.dump());
}

std::string bytes_field(const nlohmann::json& j, const char* name)
{
  auto bytes = bytes_from_json_text(j.value(name, std::string()));
  if (bytes.size() > k_max_step_bytes) {
    refuse(std::string("step ") + name + " over " + std::to_string(k_max_step_bytes) + " bytes");
  }
  return bytes;
}

} // namespace

const char* to_string(StepKind kind)
{
  switch (kind) {
    case StepKind::write:
      return "write";
    case StepKind::read:
      return "read";
    case StepKind::stat:
      return "stat";
  }
  return "?";
}

std::string bytes_to_json_text(const std::string& bytes)
{
  std::string out;
  out.reserve(bytes.size());
  for (unsigned char c : bytes) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

std::string bytes_from_json_text(const std::string& text)
{
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
      continue;
    }
    // Only U+0080 to U+00FF: a lead byte of 0xC2 or 0xC3 and one continuation byte.
    const auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    if ((c != 0xC2 && c != 0xC3) || (next & 0xC0) != 0x80) {
      refuse("step bytes hold a character above U+00FF, or text that is not UTF-8");
    }
    out += static_cast<char>(((c & 0x03) << 6) | (next & 0x3F));
    ++i;
  }
  return out;
}

void to_json(nlohmann::json& j, const UserStep& step)
{
  j = {{"kind", to_string(step.kind)},
       {"path", step.path},
       {"data", bytes_to_json_text(step.data)},
       {"max_bytes", step.max_bytes},
       {"timeout_ms", step.timeout_ms}};
}

void from_json(const nlohmann::json& j, UserStep& step)
{
  step.kind = kind_from_json(j.at("kind"));
  step.path = j.at("path").get<std::string>();
  step.data = bytes_field(j, "data");
  step.max_bytes = j.value("max_bytes", step.max_bytes);
  step.timeout_ms = j.value("timeout_ms", step.timeout_ms);
  if (step.max_bytes > k_max_step_bytes || step.timeout_ms <= 0) {
    refuse("step max_bytes or timeout_ms out of range");
  }
}

void to_json(nlohmann::json& j, const UserStepResult& r)
{
  j = {{"kind", to_string(r.kind)},
       {"path", r.path},
       {"result", r.result},
       {"error_code", r.error_code},
       {"error", r.error},
       {"errno_name", r.errno_name},
       {"data", bytes_to_json_text(r.data)},
       {"truncated", r.truncated},
       {"timed_out", r.timed_out},
       {"stuck", r.stuck},
       {"duration_ns", r.duration_ns},
       {"pid", r.pid},
       {"type", r.type},
       {"mode", r.mode},
       {"size", r.size}};
}

void from_json(const nlohmann::json& j, UserStepResult& r)
{
  r.kind = kind_from_json(j.at("kind"));
  r.path = j.at("path").get<std::string>();
  r.result = j.value("result", r.result);
  r.error_code = j.value("error_code", r.error_code);
  r.error = j.value("error", r.error);
  r.errno_name = j.value("errno_name", r.errno_name);
  r.data = bytes_field(j, "data");
  r.truncated = j.value("truncated", r.truncated);
  r.timed_out = j.value("timed_out", r.timed_out);
  r.stuck = j.value("stuck", r.stuck);
  r.duration_ns = j.value("duration_ns", r.duration_ns);
  r.pid = j.value("pid", r.pid);
  r.type = j.value("type", r.type);
  r.mode = j.value("mode", r.mode);
  r.size = j.value("size", r.size);
  if (r.error_code < 0 || r.result < -1 || r.pid < 0) {
    refuse("step error_code, result or pid out of range");
  }
}

} // namespace kmgrade::observe
