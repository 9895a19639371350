#include "similarity/similarity.h"

#include "report/exports.h"
#include "util/error.h"
#include "util/files.h"
#include "util/sha256.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <regex>

namespace kmgrade::similarity {

namespace fs = std::filesystem;

namespace {

// Bumped when normalisation or sim_c's options change: older cache entries then mean nothing.
// The minimum run is kept in the cache beside it (a cache of another run size is not read).
constexpr int k_cache_version = 2;
constexpr std::size_t k_min_base_line = 10;
// Side-by-side views per module, the most alike pairs first.
constexpr std::size_t k_max_views = 200;

std::vector<std::string_view> split_lines(std::string_view text)
{
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    auto line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

std::string collapse(std::string_view line)
{
  std::string out;
  bool space = false;
  for (char c : line) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      space = !out.empty();
      continue;
    }
    if (space) {
      out += ' ';
      space = false;
    }
    out += c;
  }
  return out;
}

bool starts_with_call(const std::string& line, const char* const* names)
{
  for (const char* const* n = names; *n; ++n) {
    const std::string_view name = *n;
    if (line.compare(0, name.size(), name) != 0) {
      continue;
    }
    auto rest = std::string_view(line).substr(name.size());
    // MODULE_ is a prefix: MODULE_LICENSE, MODULE_PARM_DESC, MODULE_IMPORT_NS ...
    if (name.back() == '_') {
      while (!rest.empty() && (std::isupper(static_cast<unsigned char>(rest.front())) || rest.front() == '_')) {
        rest.remove_prefix(1);
      }
    } else if (name == "module_param") {
      while (!rest.empty() && (std::isalnum(static_cast<unsigned char>(rest.front())) || rest.front() == '_')) {
        rest.remove_prefix(1);
      }
    }
    while (!rest.empty() && rest.front() == ' ') {
      rest.remove_prefix(1);
    }
    if (!rest.empty() && rest.front() == '(') {
      return true;
    }
  }
  return false;
}

std::string safe_file_name(std::string_view id)
{
  std::string out;
  for (char c : id) {
    out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  }
  return out;
}

// Tabs as spaces to the next multiple of 8 (kernel style), escaped (which would show a tab
// as one space).
void escape_html(std::string& out, std::string_view text)
{
  std::string expanded;
  for (char c : text) {
    if (c == '\t') {
      expanded.append(8 - expanded.size() % 8, ' ');
    } else {
      expanded += c;
    }
  }
  out += report::html_escaped(expanded);
}

// One file a module compares: a student's or a corpus file.
struct Entry
{
  std::string name;       // student id or "corpus:<path>"
  fs::path raw;           // the file as handed in
  std::string normalised; // what sim_c reads
  std::string sha256;     // of `normalised`
  std::string sim_name;   // its name in sim_c's work folder: f<N>.c
};

std::string cache_key(const std::string& h1, const std::string& h2)
{
  return h1 < h2 ? h1 + "-" + h2 : h2 + "-" + h1;
}

struct CacheEntry
{
  int percent = 0;
  std::optional<std::vector<Run>> runs; // in the order of the key's hashes; only once asked for
};

using Cache = std::map<std::string, CacheEntry>;

std::string min_run_option(const CompareOptions& options)
{
  return fmt::format("-r{}", options.min_run);
}

// The cache of `path` when it was computed with runs of `min_run` tokens; empty otherwise.
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

std::string run_sim(const CompareOptions& options, const std::vector<std::string>& argv, const fs::path& cwd)
{
  util::ProcessResult r;
  if (options.run_sim) {
    r = options.run_sim(argv, cwd);
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

// Which corpus files a module compares: those whose name names it, and those naming no module.
bool corpus_file_fits(const fs::path& rel, const std::string& module, const std::vector<std::string>& modules)
{
  std::string name = rel.filename().string();
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
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

// Percentages of every uncached pair of one module, as few sim_c runs as it takes: the files
// new since the cache ("changed") are compared with each other and with the rest both ways;
// the rest are not compared among themselves.
void compare_uncached(const std::vector<Entry>& entries, const std::vector<std::pair<std::size_t, std::size_t>>& to_compare,
                      const fs::path& work, const CompareOptions& options, Cache& cache)
{
  if (to_compare.empty()) {
    return;
  }
  // A vertex cover of the pairs to do, greedily: the file in most of them first.
  std::vector<std::size_t> degree(entries.size(), 0);
  for (auto [i, j] : to_compare) {
    ++degree[i];
    ++degree[j];
  }
  std::vector<bool> changed(entries.size(), false);
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
  std::vector<bool> involved(entries.size(), false);
  for (auto [i, j] : to_compare) {
    involved[i] = involved[j] = true;
  }
  std::vector<std::string> now;
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (changed[i]) {
      now.push_back(entries[i].sim_name);
    } else if (involved[i]) {
      rest.push_back(entries[i].sim_name);
    }
  }
  std::vector<std::string> argv = {"sim_c", "-p", "-e", "-a", "-t1", min_run_option(options)};
  argv.insert(argv.end(), now.begin(), now.end());
  if (!rest.empty()) {
    argv.push_back("/");
    argv.insert(argv.end(), rest.begin(), rest.end());
  }
  std::map<std::pair<std::string, std::string>, int> found;
  for (const auto& p : parse_percentages(run_sim(options, argv, work))) {
    auto& v = found[{p.file, p.of}];
    v = std::max(v, p.percent);
  }
  if (!rest.empty()) {
    std::vector<std::string> back = {"sim_c", "-p", "-e", "-S", "-t1", min_run_option(options)};
    back.insert(back.end(), rest.begin(), rest.end());
    back.push_back("/");
    back.insert(back.end(), now.begin(), now.end());
    for (const auto& p : parse_percentages(run_sim(options, back, work))) {
      auto& v = found[{p.file, p.of}];
      v = std::max(v, p.percent);
    }
  }
  for (auto [i, j] : to_compare) {
    const auto& a = entries[i].sim_name;
    const auto& b = entries[j].sim_name;
    int percent = 0;
    if (auto it = found.find({a, b}); it != found.end()) {
      percent = std::max(percent, it->second);
    }
    if (auto it = found.find({b, a}); it != found.end()) {
      percent = std::max(percent, it->second);
    }
    cache[cache_key(entries[i].sha256, entries[j].sha256)] = {percent, std::nullopt};
  }
}

// The matching regions of the pairs `needed` that the cache lacks, from one sim_c run over
// their files (each pair in isolation, -e), stored in the cache in the order of its key.
void fill_regions(const std::vector<Entry>& entries, const std::vector<std::pair<std::size_t, std::size_t>>& needed,
                  const fs::path& work, const CompareOptions& options, Cache& cache)
{
  std::vector<std::pair<std::size_t, std::size_t>> missing;
  std::set<std::size_t> files;
  for (auto [i, j] : needed) {
    if (!cache.at(cache_key(entries[i].sha256, entries[j].sha256)).runs) {
      missing.emplace_back(i, j);
      files.insert(i);
      files.insert(j);
    }
  }
  if (missing.empty()) {
    return;
  }
  std::vector<std::string> argv = {"sim_c", "-n", "-e", min_run_option(options)};
  for (auto i : files) {
    argv.push_back(entries[i].sim_name);
  }
  const auto found = parse_all_runs(run_sim(options, argv, work));
  for (auto [i, j] : missing) {
    // The key's order: the file with the smaller hash first.
    const auto& first = entries[i].sha256 <= entries[j].sha256 ? entries[i] : entries[j];
    const auto& second = &first == &entries[i] ? entries[j] : entries[i];
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

// A pair's regions from the cache (see fill_regions), as (a, b).
std::vector<Run> regions(const Entry& a, const Entry& b, const Cache& cache)
{
  auto runs = cache.at(cache_key(a.sha256, b.sha256)).runs.value_or(std::vector<Run>{});
  if (a.sha256 > b.sha256) {
    for (auto& r : runs) {
      r = {r.b_first, r.b_last, r.a_first, r.a_last};
    }
  }
  return runs;
}

} // namespace

void require_sim_c()
{
  if (util::find_program("sim_c").empty()) {
    throw Error("sim_c is not installed, which compares the students' files: install similarity-tester: sudo apt "
                "install similarity-tester, or pass --no-similarity");
  }
}

std::set<std::string> base_lines(const std::vector<std::string>& base_texts)
{
  std::set<std::string> out;
  for (const auto& text : base_texts) {
    for (auto line : split_lines(text)) {
      auto c = collapse(line);
      if (c.size() >= k_min_base_line) {
        out.insert(std::move(c));
      }
    }
  }
  return out;
}

std::string normalise_source(std::string_view text, const std::set<std::string>& base)
{
  static const char* const k_boilerplate[] = {"MODULE_", "module_init", "module_exit", "module_param",
                                              "EXPORT_SYMBOL", nullptr};
  std::string out;
  bool in_statement = false;  // a boilerplate call that goes on to the next line
  bool in_directive = false;  // a preprocessor line continued with a backslash
  for (auto line : split_lines(text)) {
    const auto c = collapse(line);
    bool drop = false;
    if (in_directive) {
      drop = true;
      in_directive = !c.empty() && c.back() == '\\';
    } else if (in_statement) {
      drop = true;
      in_statement = c.find(';') == std::string::npos && c.find(')') == std::string::npos;
    } else if (!c.empty() && c.front() == '#') {
      drop = true;
      in_directive = c.back() == '\\';
    } else if (starts_with_call(c, k_boilerplate)) {
      drop = true;
      in_statement = c.find(';') == std::string::npos && c.back() != ')';
    } else if (base.count(c) > 0) {
      drop = true;
    }
    if (!drop) {
      out += line;
    }
    out += '\n';
  }
  return out;
}

std::vector<DirectedPercent> parse_percentages(std::string_view output)
{
  static const std::regex k_line(R"(^(.+) consists for ([0-9]+) % of (.+) material\s*$)");
  std::vector<DirectedPercent> out;
  for (auto line : split_lines(output)) {
    std::match_results<std::string_view::const_iterator> m;
    if (std::regex_match(line.begin(), line.end(), m, k_line)) {
      out.push_back({m[1].str(), m[3].str(), std::min(100, std::stoi(m[2].str()))});
    }
  }
  return out;
}

std::map<std::pair<std::string, std::string>, std::vector<Run>> parse_all_runs(std::string_view output)
{
  // "f1.c: line 44-53       |f2.c: line 32-41  [38]"
  static const std::regex k_line(R"(^(.+): line ([0-9]+)-([0-9]+)\s*\|(.+): line ([0-9]+)-([0-9]+)\s*\[[0-9]+\]\s*$)");
  std::map<std::pair<std::string, std::string>, std::vector<Run>> out;
  for (auto line : split_lines(output)) {
    // Most lines of the output are the file list and blank lines: skip them before the regex.
    if (line.find('|') == std::string_view::npos) {
      continue;
    }
    std::match_results<std::string_view::const_iterator> m;
    if (std::regex_match(line.begin(), line.end(), m, k_line)) {
      out[{m[1].str(), m[4].str()}].push_back(
        {std::stoi(m[2].str()), std::stoi(m[3].str()), std::stoi(m[5].str()), std::stoi(m[6].str())});
    }
  }
  return out;
}

std::vector<Run> parse_runs(std::string_view output, const std::string& file_a, const std::string& file_b)
{
  const auto all = parse_all_runs(output);
  std::vector<Run> out;
  if (auto it = all.find({file_a, file_b}); it != all.end()) {
    out = it->second;
  }
  if (auto it = all.find({file_b, file_a}); it != all.end() && file_a != file_b) {
    for (const auto& r : it->second) {
      out.push_back({r.b_first, r.b_last, r.a_first, r.a_last});
    }
  }
  return out;
}

std::vector<PairScore> list_pairs(const std::string& module, const std::vector<std::string>& students,
                                  const std::vector<std::string>& corpus)
{
  auto ids = students;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<PairScore> out;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    for (std::size_t j = i + 1; j < ids.size(); ++j) {
      out.push_back({module, ids[i], ids[j], 0, false, ""});
    }
  }
  for (const auto& id : ids) {
    for (const auto& c : corpus) {
      out.push_back({module, id, "corpus:" + c, 0, false, ""});
    }
  }
  return out;
}

std::vector<Cluster> cluster_pairs(const std::vector<PairScore>& pairs)
{
  std::map<std::string, std::map<std::string, std::string>> parent; // per module: union-find
  auto find = [](std::map<std::string, std::string>& p, std::string x) {
    while (p.at(x) != x) {
      x = p.at(x) = p.at(p.at(x));
    }
    return x;
  };
  for (const auto& pair : pairs) {
    if (!pair.flagged) {
      continue;
    }
    auto& p = parent[pair.module];
    p.emplace(pair.student_a, pair.student_a);
    p.emplace(pair.student_b, pair.student_b);
    const auto ra = find(p, pair.student_a);
    const auto rb = find(p, pair.student_b);
    if (ra != rb) {
      p[std::max(ra, rb)] = std::min(ra, rb);
    }
  }
  std::map<std::pair<std::string, std::string>, Cluster> by_root;
  for (auto& [module, p] : parent) {
    for (const auto& [node, unused] : p) {
      auto& c = by_root[{module, find(p, node)}];
      c.module = module;
      c.students.push_back(node);
    }
  }
  for (const auto& pair : pairs) {
    if (pair.flagged) {
      auto& c = by_root[{pair.module, find(parent[pair.module], pair.student_a)}];
      c.max_percent = std::max(c.max_percent, pair.percent);
    }
  }
  std::vector<Cluster> out;
  for (auto& [key, c] : by_root) {
    std::sort(c.students.begin(), c.students.end());
    out.push_back(std::move(c));
  }
  std::stable_sort(out.begin(), out.end(), [](const Cluster& a, const Cluster& b) {
    if (a.students.size() != b.students.size()) {
      return a.students.size() > b.students.size();
    }
    return a.max_percent > b.max_percent;
  });
  return out;
}

std::string side_by_side_html(const PairScore& pair, std::string_view text_a, std::string_view text_b,
                              const std::vector<Run>& runs)
{
  static const char* const k_colours[] = {"#ffd54f", "#81d4fa", "#a5d6a7", "#f48fb1", "#ce93d8", "#ffab91"};
  const auto colour_class = [&](int line, bool side_a) {
    for (std::size_t k = 0; k < runs.size(); ++k) {
      const auto& r = runs[k];
      const int first = side_a ? r.a_first : r.b_first;
      const int last = side_a ? r.a_last : r.b_last;
      if (line >= first && line <= last) {
        return static_cast<int>(k % std::size(k_colours));
      }
    }
    return -1;
  };
  const auto column = [&](std::string_view text, bool side_a) {
    std::string out = "<td><table class=\"src\">\n";
    int n = 0;
    for (auto line : split_lines(text)) {
      ++n;
      const int c = colour_class(n, side_a);
      out += c >= 0 ? fmt::format("<tr class=\"m{}\">", c) : std::string("<tr>");
      out += fmt::format("<td class=\"n\">{}</td><td><pre>", n);
      escape_html(out, line);
      out += "</pre></td></tr>\n";
    }
    return out + "</table></td>\n";
  };
  std::string title;
  escape_html(title, fmt::format("{}: {} and {}, {}%", pair.module, pair.student_a, pair.student_b, pair.percent));
  std::string css = "body{font-family:sans-serif;margin:1em}table.view{width:100%;border-collapse:collapse}"
                    "table.view>tbody>tr>td{vertical-align:top;width:50%}table.src{border-collapse:collapse}"
                    "pre{margin:0;white-space:pre-wrap;font-size:12px}td.n{color:#888;text-align:right;"
                    "padding-right:.5em;font:12px monospace}";
  for (std::size_t k = 0; k < std::size(k_colours); ++k) {
    css += fmt::format("tr.m{}{{background:{}}}", k, k_colours[k]);
  }
  std::string out = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + title + "</title><style>" + css +
                    "</style></head><body>\n<h1>" + title + "</h1>\n<p>Lines of the same colour match (sim_c, "
                    "identifiers and layout ignored). Similarity is a lead to follow, not a verdict.</p>\n"
                    "<table class=\"view\"><thead><tr><th>";
  escape_html(out, pair.student_a);
  out += "</th><th>";
  escape_html(out, pair.student_b);
  out += "</th></tr></thead><tbody><tr>\n";
  out += column(text_a, true);
  out += column(text_b, false);
  out += "</tr></tbody></table>\n</body></html>\n";
  return out;
}

std::string similarity_csv(const ClassSimilarity& result)
{
  std::string out = "module,student_a,student_b,percent,flagged\n";
  for (const auto& p : result.pairs) {
    out += report::csv_record({p.module, p.student_a, p.student_b, std::to_string(p.percent), p.flagged ? "yes" : "no"},
                              ",\"\r\n") +
           "\n";
  }
  return out;
}

nlohmann::json to_json(const ClassSimilarity& result)
{
  nlohmann::json j = {{"threshold", result.threshold}, {"min_run", result.min_run},
                      {"pairs", nlohmann::json::array()}, {"clusters", nlohmann::json::array()}};
  for (const auto& p : result.pairs) {
    j["pairs"].push_back({{"module", p.module}, {"student_a", p.student_a}, {"student_b", p.student_b},
                          {"percent", p.percent}, {"flagged", p.flagged}, {"view", p.view}});
  }
  for (const auto& c : result.clusters) {
    j["clusters"].push_back({{"module", c.module}, {"students", c.students}, {"max_percent", c.max_percent}});
  }
  return j;
}

ClassSimilarity class_similarity_from_json(const nlohmann::json& j)
{
  ClassSimilarity r;
  r.threshold = j.at("threshold").get<int>();
  r.min_run = j.value("min_run", k_sim_c_min_run); // written before it was a setting
  for (const auto& p : j.at("pairs")) {
    r.pairs.push_back({p.at("module").get<std::string>(), p.at("student_a").get<std::string>(),
                       p.at("student_b").get<std::string>(), p.at("percent").get<int>(), p.at("flagged").get<bool>(),
                       p.at("view").get<std::string>()});
  }
  for (const auto& c : j.at("clusters")) {
    r.clusters.push_back({c.at("module").get<std::string>(), c.at("students").get<std::vector<std::string>>(),
                          c.at("max_percent").get<int>()});
  }
  return r;
}

std::optional<ClassSimilarity> read_class_similarity(const fs::path& out_dir)
{
  try {
    return class_similarity_from_json(nlohmann::json::parse(util::read_file(out_dir / "similarity.json")));
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::string summary_text(const ClassSimilarity& result, std::size_t max_lines)
{
  if (result.clusters.empty()) {
    return "";
  }
  std::string out = fmt::format("similar submissions (at least {}%, see similarity.csv):\n", result.threshold);
  for (std::size_t i = 0; i < std::min(max_lines, result.clusters.size()); ++i) {
    const auto& c = result.clusters[i];
    out += fmt::format("  {}: {} ({}%)\n", c.module, fmt::join(c.students, ", "), c.max_percent);
  }
  if (result.clusters.size() > max_lines) {
    out += fmt::format("  and {} more groups\n", result.clusters.size() - max_lines);
  }
  return out;
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
    std::vector<Entry> entries;
    std::map<std::string, std::size_t> by_name;
    const fs::path work = work_root / module;
    fs::create_directories(work);
    auto add = [&](const std::string& name, const fs::path& raw, const std::string& text) {
      Entry e{name, raw, normalise_source(text, base), "", ""};
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
      const fs::path kept = out_dir / "sources" / s.id / (module + ".c");
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
    std::vector<std::pair<std::size_t, std::size_t>> to_compare;
    for (const auto& p : pairs) {
      const auto i = by_name.at(p.student_a);
      const auto j = by_name.at(p.student_b);
      if (cache.count(cache_key(entries[i].sha256, entries[j].sha256)) == 0) {
        to_compare.emplace_back(i, j);
      }
    }
    compare_uncached(entries, to_compare, work, options, cache);
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
    std::vector<std::pair<std::size_t, std::size_t>> shown;
    for (auto k : flagged) {
      shown.emplace_back(by_name.at(pairs[k].student_a), by_name.at(pairs[k].student_b));
    }
    fill_regions(entries, shown, work, options, cache);
    for (auto k : flagged) {
      auto& p = pairs[k];
      const auto& a = entries[by_name.at(p.student_a)];
      const auto& b = entries[by_name.at(p.student_b)];
      p.view = fmt::format("similarity/{}/{}--{}.html", module, safe_file_name(p.student_a),
                           safe_file_name(p.student_b));
      const auto html = side_by_side_html(p, util::read_file(a.raw), util::read_file(b.raw), regions(a, b, cache));
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
