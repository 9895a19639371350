#include "slab.h"

#include "util/files.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>

namespace kmgrade::agent {

using observe::SlabCache;

namespace {

// A cache is a folder; a merged alias is a symbolic link to another cache's.
bool is_cache(const std::filesystem::path& path)
{
  struct stat st
  {
  };
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Calls visit(name, folder) for each cache of /sys/kernel/slab; merged aliases are left out.
template <typename Visit>
void for_each_cache(const KernelPaths& paths, Visit&& visit)
{
  const auto slab = paths.slab();
  DIR* dir = ::opendir(slab.c_str());
  if (!dir) {
    return;
  }
  while (auto* ent = ::readdir(dir)) {
    std::string name = ent->d_name;
    if (name == "." || name == "..") {
      continue;
    }
    const auto base = slab / name;
    if (!is_cache(base)) {
      continue;
    }
    visit(name, base);
  }
  ::closedir(dir);
}

SlabCache read_cache(const std::string& name, const std::filesystem::path& base)
{
  SlabCache c;
  c.name = name;
  c.object_size = std::atol(util::read_file(base / "object_size").c_str());
  c.objects = std::atol(util::read_file(base / "objects").c_str());
  return c;
}

} // namespace

SlabSnapshot slab_snapshot(const KernelPaths& paths, const std::function<bool(const std::string&)>& wanted)
{
  SlabSnapshot caches;
  for_each_cache(paths, [&](const std::string& name, const std::filesystem::path& base) {
    if (wanted && !wanted(name)) {
      return;
    }
    caches[name] = read_cache(name, base);
  });
  return caches;
}

std::set<std::string> slab_cache_names(const KernelPaths& paths)
{
  std::set<std::string> names;
  for_each_cache(paths, [&](const std::string& name, const std::filesystem::path&) { names.insert(name); });
  return names;
}

bool slab_cache_listed(const KernelPaths& paths, const std::string& name)
{
  return is_cache(paths.slab() / name);
}

std::vector<SlabCache> caches_created(const KernelPaths& paths, const std::set<std::string>& before)
{
  std::vector<SlabCache> created;
  for (auto& [name, cache] : slab_snapshot(paths, [&](const std::string& n) { return !before.count(n); })) {
    created.push_back(std::move(cache));
  }
  return created;
}

std::vector<SlabCache> caches_left(const KernelPaths& paths, const std::vector<SlabCache>& created)
{
  // Looked up by name: listing the whole of /sys/kernel/slab costs a TCG guest 10 ms.
  std::vector<SlabCache> left;
  for (const auto& cache : created) {
    if (slab_cache_listed(paths, cache.name)) {
      left.push_back(read_cache(cache.name, paths.slab() / cache.name));
    }
  }
  std::sort(left.begin(), left.end(), [](const SlabCache& a, const SlabCache& b) { return a.name < b.name; });
  return left;
}

} // namespace kmgrade::agent
