#include "score/lab_steps.h"

#include "util/error.h"

// The parts of a lab file that act on the sandbox's files: a load's steps, a module's removes.
namespace kmgrade::score {

namespace {

// An absolute path in the sandbox, as a step or the agent after rmmod takes it.
bool sandbox_path(const nlohmann::json& path)
{
  return path.is_string() && !path.get<std::string>().empty() && path.get<std::string>()[0] == '/' &&
         path.get<std::string>().find('\0') == std::string::npos && path.get<std::string>().size() <= 4096;
}

} // namespace

// A module's `removes`: the paths it must have removed once rmmod returns, each one absolute
// and in its plain form, since the agent looks for its last part in its folder.
std::vector<std::string> parse_removes(const nlohmann::json& removes, const std::string& module,
                                       const std::string& invalid)
{
  std::vector<std::string> out;
  if (!removes.is_array()) {
    throw Error(invalid + "modules." + module + ".removes must be a list of paths (\"/proc/list\")");
  }
  for (std::size_t i = 0; i < removes.size(); ++i) {
    const auto& path = removes[i];
    if (!sandbox_path(path) || path.get<std::string>().back() == '/' ||
        std::filesystem::path(path.get<std::string>()).lexically_normal().string() != path.get<std::string>()) {
      throw Error(invalid + "modules." + module + ".removes[" + std::to_string(i) +
                  "] must be an absolute path in the sandbox, without . or .. parts or a / at its end");
    }
    out.push_back(path.get<std::string>());
  }
  return out;
}

// The steps of a load: each {"write": PATH, "data": TEXT}, {"read": PATH} or {"stat": PATH},
// with "timeout_ms" and, for a read, "max_bytes".
std::vector<observe::UserStep> parse_steps(const nlohmann::json& steps, const std::string& where)
{
  if (!steps.is_array() || steps.empty() || steps.size() > observe::k_max_steps) {
    throw Error(where + ".steps must be a list of 1 to " + std::to_string(observe::k_max_steps) + " steps");
  }
  std::vector<observe::UserStep> out;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const auto& j = steps[i];
    const std::string at = where + ".steps[" + std::to_string(i) + "]";
    if (!j.is_object()) {
      throw Error(at + " must be an object: {\"write\": PATH, \"data\": TEXT}, {\"read\": PATH} or {\"stat\": PATH}");
    }
    observe::UserStep step;
    int kinds = 0;
    for (auto kind : {observe::StepKind::write, observe::StepKind::read, observe::StepKind::stat}) {
      if (j.contains(observe::to_string(kind))) {
        step.kind = kind;
        ++kinds;
      }
    }
    if (kinds != 1) {
      throw Error(at + " must hold exactly one of write, read and stat, the path it acts on");
    }
    const auto& path = j.at(observe::to_string(step.kind));
    if (!sandbox_path(path)) {
      throw Error(at + "." + observe::to_string(step.kind) + " must be an absolute path in the sandbox");
    }
    step.path = path.get<std::string>();
    for (const auto& [key, value] : j.items()) {
      const bool known = key == observe::to_string(step.kind) || key == "timeout_ms" ||
                         (key == "data" && step.kind == observe::StepKind::write) ||
                         (key == "max_bytes" && step.kind == observe::StepKind::read);
      if (!known) {
        throw Error(at + ": " + key + " is not a field of a " + observe::to_string(step.kind) + " step");
      }
    }
    if (step.kind == observe::StepKind::write) {
      if (!j.contains("data") || !j.at("data").is_string() ||
          j.at("data").get<std::string>().size() > observe::k_max_step_bytes) {
        throw Error(at + ".data must be the text to write, at most " + std::to_string(observe::k_max_step_bytes) +
                    " bytes (\"addf lorem\\n\")");
      }
      step.data = j.at("data").get<std::string>();
    }
    if (j.contains("max_bytes")) {
      const auto& m = j.at("max_bytes");
      if (!m.is_number_unsigned() || m.get<std::size_t>() < 1 || m.get<std::size_t>() > observe::k_max_step_bytes) {
        throw Error(at + ".max_bytes must be a number of bytes from 1 to " + std::to_string(observe::k_max_step_bytes));
      }
      step.max_bytes = m.get<std::size_t>();
    }
    if (j.contains("timeout_ms")) {
      const auto& t = j.at("timeout_ms");
      if (!t.is_number_unsigned() || t.get<long long>() < 1 || t.get<long long>() > 60000) {
        throw Error(at + ".timeout_ms must be a number of milliseconds from 1 to 60000");
      }
      step.timeout_ms = t.get<int>();
    }
    out.push_back(std::move(step));
  }
  return out;
}

} // namespace kmgrade::score
