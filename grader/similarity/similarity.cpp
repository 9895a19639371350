#include "similarity/similarity.h"

#include "similarity/grouping.h"
#include "similarity/normalise.h"
#include "similarity/pair_cache.h"
#include "similarity/side_by_side.h"
#include "util/error.h"
#include "util/files.h"
#include "util/sha256.h"
#include "util/text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace kmgrade::similarity {

namespace fs = std::filesystem;

namespace {

// Side-by-side views per module, the most alike pairs first.
constexpr std::size_t k_max_views = 200;

std::string safe_file_name(std::string_view id)
{
  std::string out;
  for (char c : id) {
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  }
  return out;
}

// Which corpus files a module compares: those whose name names it, and those naming no module.
bool corpus_file_fits(const fs::path& rel, const std::string& module, const std::vector<std::string>& modules)
{
  const std::string name = util::to_lower(rel.filename().string());
  bool names_any = false;
  for (const auto& m : modules) {
    if (name.find(m) != std::string::npos) {
      if (m == module) {
        return true;
      }
      names_any = true;
    }
  }
  return !names_any;
}

std::vector<fs::path> corpus_files(const fs::path& dir)
{
  std::vector<fs::path> out;
  if (dir.empty()) {
    return out;
  }
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw Error("the corpus " + dir.string() + " is not a folder");
  }
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".c") {
      out.push_back(fs::relative(it->path(), dir));
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

fs::path student_sources(const fs::path& out_dir, const std::string& id)
{
  return out_dir / "sources" / id;
}

fs::path source_path(const fs::path& out_dir, const std::string& id, const std::string& module)
{
  return student_sources(out_dir, id) / (module + ".c");
}

ClassSimilarity compare_class(const std::vector<StudentFiles>& students, const std::vector<std::string>& modules,
                              const fs::path& out_dir, const CompareOptions& options)
{
  std::vector<std::string> base_texts;
  for (const auto& b : options.base_files) {
    if (!fs::is_regular_file(b)) {
      throw Error("the base file " + b.string() + " does not exist");
    }
    base_texts.push_back(util::read_file(b));
  }
  const auto base = base_lines(base_texts);
  const auto corpus = corpus_files(options.corpus);
  const fs::path sim_dir = out_dir / "similarity";
  const fs::path work_root = sim_dir / ".work";
  std::error_code ec;
  fs::remove_all(work_root, ec);
  Cache cache = read_cache(sim_dir / "cache.json", options.min_run);

  std::set<std::string> used; // cache entries of this class: the others are dropped

  ClassSimilarity result;
  result.threshold = options.threshold;
  result.min_run = options.min_run;
  for (const auto& module : modules) {
    std::vector<ModuleFile> entries;
    std::map<std::string, std::size_t> by_name;
    const fs::path work = work_root / module;
    fs::create_directories(work);
    auto add = [&](const std::string& name, const fs::path& raw, const std::string& text) {
      ModuleFile e{name, raw, normalise_source(text, base), "", ""};
      e.sha256 = util::sha256_hex(e.normalised);
      e.sim_name = fmt::format("f{}.c", entries.size());
      util::write_file_atomically(work / e.sim_name, e.normalised);
      by_name[name] = entries.size();
      entries.push_back(std::move(e));
    };
    std::vector<std::string> ids;
    for (const auto& s : students) {
      auto it = s.modules.find(module);
      if (it == s.modules.end()) {
        continue;
      }
      const std::string text = util::read_file(it->second);
      const fs::path kept = source_path(out_dir, s.id, module);
      if (util::read_file(kept) != text || !fs::exists(kept)) {
        util::write_file_atomically(kept, text);
      }
      add(s.id, kept, text);
      ids.push_back(s.id);
    }
    std::vector<std::string> corpus_names;
    for (const auto& rel : corpus) {
      if (corpus_file_fits(rel, module, modules)) {
        add("corpus:" + rel.generic_string(), options.corpus / rel, util::read_file(options.corpus / rel));
        corpus_names.push_back(rel.generic_string());
      }
    }
    auto pairs = list_pairs(module, ids, corpus_names);
    FilePairs to_compare;
    for (const auto& p : pairs) {
      const auto i = by_name.at(p.student_a);
      const auto j = by_name.at(p.student_b);
      if (cache.count(cache_key(entries[i].sha256, entries[j].sha256)) == 0) {
        to_compare.emplace_back(i, j);
      }
    }
    compare_uncached(entries, to_compare, work, options.run_sim, options.min_run, cache);
    std::vector<std::size_t> flagged;
    for (std::size_t k = 0; k < pairs.size(); ++k) {
      auto& p = pairs[k];
      const auto& a = entries[by_name.at(p.student_a)];
      const auto& b = entries[by_name.at(p.student_b)];
      used.insert(cache_key(a.sha256, b.sha256));
      p.percent = cache.at(cache_key(a.sha256, b.sha256)).percent;
      p.flagged = p.percent >= options.threshold;
      if (p.flagged) {
        flagged.push_back(k);
      }
    }
    // The views of the most alike pairs: a class that shares one template without --base
    // would otherwise get a page for every two students.
    std::stable_sort(flagged.begin(), flagged.end(),
                     [&](std::size_t x, std::size_t y) { return pairs[x].percent > pairs[y].percent; });
    flagged.resize(std::min(flagged.size(), k_max_views));
    FilePairs shown;
    for (auto k : flagged) {
      shown.emplace_back(by_name.at(pairs[k].student_a), by_name.at(pairs[k].student_b));
    }
    fill_regions(entries, shown, work, options.run_sim, options.min_run, cache);
    for (auto k : flagged) {
      auto& p = pairs[k];
      const auto& a = entries[by_name.at(p.student_a)];
      const auto& b = entries[by_name.at(p.student_b)];
      p.view =
        fmt::format("similarity/{}/{}--{}.html", module, safe_file_name(p.student_a), safe_file_name(p.student_b));
      const auto runs = cached_runs(cache, a.sha256, b.sha256);
      const auto html = side_by_side_html(p, util::read_file(a.raw), util::read_file(b.raw), runs);
      if (util::read_file(out_dir / p.view) != html) {
        util::write_file_atomically(out_dir / p.view, html);
      }
    }
    // Views of pairs flagged by an earlier run (another threshold, a file since changed) go.
    std::set<fs::path> views;
    for (const auto& p : pairs) {
      if (!p.view.empty()) {
        views.insert(out_dir / p.view);
      }
    }
    for (auto it = fs::directory_iterator(sim_dir / module, ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
      if (it->path().extension() == ".html" && views.count(it->path()) == 0) {
        std::error_code gone;
        fs::remove(it->path(), gone);
      }
    }
    result.pairs.insert(result.pairs.end(), pairs.begin(), pairs.end());
  }
  fs::remove_all(work_root, ec);
  result.clusters = cluster_pairs(result.pairs);
  std::erase_if(cache, [&](const auto& kv) { return used.count(kv.first) == 0; });
  write_cache(sim_dir / "cache.json", options.min_run, cache);
  util::write_file_atomically(out_dir / "similarity.csv", similarity_csv(result));
  util::write_file_atomically(out_dir / "similarity.json", to_json(result).dump(1) + "\n");
  return result;
}

} // namespace kmgrade::similarity
