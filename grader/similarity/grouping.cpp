#include "similarity/grouping.h"

#include <algorithm>
#include <map>
#include <utility>

namespace kmgrade::similarity {

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

} // namespace kmgrade::similarity
