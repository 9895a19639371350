#include "similarity/sim_c.h"

#include "util/error.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>

namespace kmgrade::similarity {

namespace fs = std::filesystem;

namespace {

std::string min_run_option(int min_run)
{
  return fmt::format("-r{}", min_run);
}

std::string run_sim_c(const SimRunner& run_sim, const std::vector<std::string>& argv, const fs::path& cwd)
{
  util::ProcessResult r;
  if (run_sim) {
    r = run_sim(argv, cwd);
  } else {
    util::ProcessOptions po;
    po.cwd = cwd;
    po.timeout = std::chrono::minutes(10);
    po.max_output = 64 << 20;
    r = util::run_process(argv, po);
  }
  if (r.exit_code != 0 || r.output_cut) {
    throw Error(fmt::format("sim_c failed in {} (exit status {}{}): {}", cwd.string(), r.exit_code,
                            r.timed_out ? ", timed out" : "", r.output.substr(0, 400)));
  }
  return r.output;
}

} // namespace

void require_sim_c()
{
  if (util::find_program("sim_c").empty()) {
    throw Error(
      "sim_c is not installed, which compares the students' files: install similarity-tester: sudo apt install similarity-tester, or pass --no-similarity");
  }
}

// As few runs as it takes: the files of a vertex cover of the pairs ("now") against each other
// and against the rest, both ways; the rest are not compared among themselves.
void compare_uncached(const std::vector<ModuleFile>& files, const FilePairs& to_compare, const fs::path& work,
                      const SimRunner& run_sim, int min_run, Cache& cache)
{
  if (to_compare.empty()) {
    return;
  }
  // A vertex cover of the pairs to do, greedily: the file in most of them first.
  std::vector<std::size_t> degree(files.size(), 0);
  for (auto [i, j] : to_compare) {
    ++degree[i];
    ++degree[j];
  }
  std::vector<bool> changed(files.size(), false);
  std::vector<bool> covered(to_compare.size(), false);
  for (std::size_t left = to_compare.size(); left > 0;) {
    const auto best = static_cast<std::size_t>(std::max_element(degree.begin(), degree.end()) - degree.begin());
    changed[best] = true;
    for (std::size_t k = 0; k < to_compare.size(); ++k) {
      if (!covered[k] && (to_compare[k].first == best || to_compare[k].second == best)) {
        covered[k] = true;
        --left;
        --degree[to_compare[k].first];
        --degree[to_compare[k].second];
      }
    }
  }
  std::vector<bool> involved(files.size(), false);
  for (auto [i, j] : to_compare) {
    involved[i] = involved[j] = true;
  }
  std::vector<std::string> now;
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (changed[i]) {
      now.push_back(files[i].sim_name);
    } else if (involved[i]) {
      rest.push_back(files[i].sim_name);
    }
  }
  std::vector<std::string> argv = {"sim_c", "-p", "-e", "-a", "-t1", min_run_option(min_run)};
  argv.insert(argv.end(), now.begin(), now.end());
  if (!rest.empty()) {
    argv.push_back("/");
    argv.insert(argv.end(), rest.begin(), rest.end());
  }
  std::map<std::pair<std::string, std::string>, int> found;
  for (const auto& p : parse_percentages(run_sim_c(run_sim, argv, work))) {
    auto& v = found[{p.file, p.of}];
    v = std::max(v, p.percent);
  }
  if (!rest.empty()) {
    std::vector<std::string> back = {"sim_c", "-p", "-e", "-S", "-t1", min_run_option(min_run)};
    back.insert(back.end(), rest.begin(), rest.end());
    back.push_back("/");
    back.insert(back.end(), now.begin(), now.end());
    for (const auto& p : parse_percentages(run_sim_c(run_sim, back, work))) {
      auto& v = found[{p.file, p.of}];
      v = std::max(v, p.percent);
    }
  }
  for (auto [i, j] : to_compare) {
    const auto& a = files[i].sim_name;
    const auto& b = files[j].sim_name;
    int percent = 0;
    if (auto it = found.find({a, b}); it != found.end()) {
      percent = std::max(percent, it->second);
    }
    if (auto it = found.find({b, a}); it != found.end()) {
      percent = std::max(percent, it->second);
    }
    cache[cache_key(files[i].sha256, files[j].sha256)] = {percent, std::nullopt};
  }
}

void fill_regions(const std::vector<ModuleFile>& files, const FilePairs& needed, const fs::path& work,
                  const SimRunner& run_sim, int min_run, Cache& cache)
{
  FilePairs missing;
  std::set<std::size_t> in_run;
  for (auto [i, j] : needed) {
    if (!cache.at(cache_key(files[i].sha256, files[j].sha256)).runs) {
      missing.emplace_back(i, j);
      in_run.insert(i);
      in_run.insert(j);
    }
  }
  if (missing.empty()) {
    return;
  }
  std::vector<std::string> argv = {"sim_c", "-n", "-e", min_run_option(min_run)};
  for (auto i : in_run) {
    argv.push_back(files[i].sim_name);
  }
  const auto found = parse_all_runs(run_sim_c(run_sim, argv, work));
  for (auto [i, j] : missing) {
    // The key's order: the file with the smaller hash first.
    const auto& first = files[i].sha256 <= files[j].sha256 ? files[i] : files[j];
    const auto& second = &first == &files[i] ? files[j] : files[i];
    std::vector<Run> runs;
    if (auto it = found.find({first.sim_name, second.sim_name}); it != found.end()) {
      runs = it->second;
    } else if (auto back = found.find({second.sim_name, first.sim_name}); back != found.end()) {
      for (const auto& r : back->second) {
        runs.push_back({r.b_first, r.b_last, r.a_first, r.a_last});
      }
    }
    cache.at(cache_key(first.sha256, second.sha256)).runs = runs;
  }
}

} // namespace kmgrade::similarity
