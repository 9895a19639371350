#include "pipeline/reference_baseline.h"

#include "util/files.h"
#include "util/sha256.h"
#include "util/text.h"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <ctime>
#include <sstream>
#include <thread>

namespace kmgrade::pipeline {

namespace fs = std::filesystem;

namespace {

fs::path baseline_dir(const fs::path& cache_dir)
{
  return cache_dir / "baseline";
}

} // namespace

std::string processor_model()
{
  std::istringstream in(util::read_file("/proc/cpuinfo"));
  std::string line;
  while (std::getline(in, line)) {
    // x86 says "model name", arm64 only "CPU part" and friends.
    if (line.rfind("model name", 0) == 0 || line.rfind("Model", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) {
        return std::string(util::trim(line.substr(colon + 1)));
      }
    }
  }
  return "unknown processor";
}

std::string this_machine()
{
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) {
    host[0] = '\0';
  }
  std::string model;
  try {
    model = processor_model();
  } catch (const std::exception&) {
    model = "unknown processor";
  }
  return std::string(host[0] ? host : "unknown host") + " (" + model + ", " +
         std::to_string(std::thread::hardware_concurrency()) + " CPUs)";
}

std::string utc_now()
{
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

std::string baseline_key(const std::string& build_sha256, const std::string& reference_sha256,
                         const std::string& kernel_sha256, const std::string& rubric_sha256, const std::string& accel,
                         const std::string& machine, unsigned runs)
{
  return util::sha256_hex(build_sha256 + '\0' + reference_sha256 + '\0' + kernel_sha256 + '\0' + rubric_sha256 + '\0' +
                          accel + '\0' + machine + '\0' + std::to_string(runs))
    .substr(0, 32);
}

std::optional<ReferenceBaseline> load_baseline(const fs::path& cache_dir, const std::string& key)
{
  const fs::path file = baseline_dir(cache_dir) / (key + ".json");
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    return std::nullopt;
  }
  try {
    const auto j = nlohmann::json::parse(util::read_file(file));
    ReferenceBaseline b;
    b.measured_at = j.at("measured_at").get<std::string>();
    b.machine = j.at("machine").get<std::string>();
    b.accel = j.at("accel").get<std::string>();
    b.kernel = j.at("kernel").get<std::string>();
    b.runs = j.at("runs").get<unsigned>();
    for (const auto& [module, times] : j.at("times").items()) {
      auto& out = b.times[module];
      for (const auto& [value, ns] : times.items()) {
        out[static_cast<unsigned>(std::stoul(value))] = ns.get<std::uint64_t>();
      }
    }
    const nlohmann::json steps = j.contains("steps") ? j.at("steps") : nlohmann::json::object();
    for (const auto& [module, loads] : steps.items()) {
      for (const auto& [name, results] : loads.items()) {
        b.steps[module][name] = results.get<std::vector<observe::UserStepResult>>();
      }
    }
    return b;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

void save_baseline(const fs::path& cache_dir, const std::string& key, const ReferenceBaseline& b)
{
  nlohmann::json times = nlohmann::json::object();
  for (const auto& [module, by_value] : b.times) {
    nlohmann::json t = nlohmann::json::object();
    for (const auto& [value, ns] : by_value) {
      t[std::to_string(value)] = ns;
    }
    times[module] = std::move(t);
  }
  const nlohmann::json j = {
    {"measured_at", b.measured_at}, {"machine", b.machine}, {"accel", b.accel}, {"kernel", b.kernel}, {"runs", b.runs},
    {"times", std::move(times)},    {"steps", b.steps}};
  util::write_file_atomically(baseline_dir(cache_dir) / (key + ".json"), j.dump(2) + "\n");
}

void forget_baselines(const fs::path& cache_dir)
{
  std::error_code ec;
  fs::remove_all(baseline_dir(cache_dir), ec);
}

} // namespace kmgrade::pipeline
