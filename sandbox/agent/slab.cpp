#include "slab.h"

#include "util/files.h"

#include <dirent.h>
#include <sys/stat.h>

#include <cstdlib>

namespace kmgrade::agent {

using observe::SlabCache;

SlabSnapshot slab_snapshot(const KernelPaths& paths)
{
  SlabSnapshot caches;
  const auto slab = paths.slab();
  DIR* dir = ::opendir(slab.c_str());
  if (!dir) {
    return caches;
  }
  while (auto* ent = ::readdir(dir)) {
    std::string name = ent->d_name;
    if (name == "." || name == "..") {
      continue;
    }
    const auto base = slab / name;
    struct stat st{};
    if (::lstat(base.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      continue;
    }
    SlabCache c;
    c.name = name;
    c.object_size = std::atol(util::read_file(base / "object_size").c_str());
    c.objects = std::atol(util::read_file(base / "objects").c_str());
    caches[name] = c;
  }
  ::closedir(dir);
  return caches;
}

std::vector<SlabCache> caches_created(const SlabSnapshot& before, const SlabSnapshot& after)
{
  std::vector<SlabCache> created;
  for (const auto& [name, cache] : after) {
    if (!before.count(name)) {
      created.push_back(cache);
    }
  }
  return created;
}

std::vector<SlabCache> caches_left(const std::vector<SlabCache>& created, const SlabSnapshot& after)
{
  std::vector<SlabCache> left;
  for (const auto& cache : created) {
    auto it = after.find(cache.name);
    if (it != after.end()) {
      left.push_back(it->second);
    }
  }
  return left;
}

} // namespace kmgrade::agent
