#include "similarity/pair_cache.h"

#include "util/files.h"

#include <nlohmann/json.hpp>

namespace kmgrade::similarity {

namespace fs = std::filesystem;

namespace {

// Bumped when normalisation or sim_c's options change: older cache entries then mean nothing.
// The minimum run is kept in the cache beside it (a cache of another run size is not read).
constexpr int k_cache_version = 2;

} // namespace

std::string cache_key(const std::string& h1, const std::string& h2)
{
  return h1 < h2 ? h1 + "-" + h2 : h2 + "-" + h1;
}

Cache read_cache(const fs::path& path, int min_run)
{
  Cache cache;
  try {
    const auto j = nlohmann::json::parse(util::read_file(path));
    if (j.at("version").get<int>() != k_cache_version || j.at("min_run").get<int>() != min_run) {
      return cache;
    }
    for (const auto& [key, v] : j.at("pairs").items()) {
      CacheEntry e;
      e.percent = v.at("percent").get<int>();
      if (v.contains("runs")) {
        std::vector<Run> runs;
        for (const auto& r : v.at("runs")) {
          runs.push_back({r.at(0).get<int>(), r.at(1).get<int>(), r.at(2).get<int>(), r.at(3).get<int>()});
        }
        e.runs = runs;
      }
      cache[key] = e;
    }
  } catch (const nlohmann::json::exception&) {
    cache.clear(); // none yet, or damaged: compared again
  }
  return cache;
}

void write_cache(const fs::path& path, int min_run, const Cache& cache)
{
  nlohmann::json pairs = nlohmann::json::object();
  for (const auto& [key, e] : cache) {
    nlohmann::json v = {{"percent", e.percent}};
    if (e.runs) {
      v["runs"] = nlohmann::json::array();
      for (const auto& r : *e.runs) {
        v["runs"].push_back({r.a_first, r.a_last, r.b_first, r.b_last});
      }
    }
    pairs[key] = v;
  }
  const nlohmann::json j = {{"version", k_cache_version}, {"min_run", min_run}, {"pairs", pairs}};
  util::write_file_atomically(path, j.dump(1) + "\n");
}

std::vector<Run> cached_runs(const Cache& cache, const std::string& a_sha256, const std::string& b_sha256)
{
  auto runs = cache.at(cache_key(a_sha256, b_sha256)).runs.value_or(std::vector<Run>{});
  if (a_sha256 > b_sha256) {
    for (auto& r : runs) {
      r = {r.b_first, r.b_last, r.a_first, r.a_last};
    }
  }
  return runs;
}

} // namespace kmgrade::similarity
