#pragma once

#include "kernel_paths.h"

#include "observe/observation.h"

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace kmgrade::agent {

using SlabSnapshot = std::map<std::string, observe::SlabCache>;

// The caches in /sys/kernel/slab (those `wanted` names, or all) with their object size and
// object count. Merged aliases (symbolic links to another cache) are left out. Counting a
// cache's objects walks its slabs, slow under slub_debug: ask only for the caches needed.
SlabSnapshot slab_snapshot(const KernelPaths& paths, const std::function<bool(const std::string&)>& wanted = {});

// The names of the caches in /sys/kernel/slab, merged aliases left out: a directory listing.
std::set<std::string> slab_cache_names(const KernelPaths& paths);

// Whether cache `name` is in /sys/kernel/slab (as a cache, not a merged alias), without
// reading it.
bool slab_cache_listed(const KernelPaths& paths, const std::string& name);

// The caches now in /sys/kernel/slab that `before` did not name, in name order.
std::vector<observe::SlabCache> caches_created(const KernelPaths& paths, const std::set<std::string>& before);

// Those of `created` still in /sys/kernel/slab, as it shows them now, in name order.
std::vector<observe::SlabCache> caches_left(const KernelPaths& paths, const std::vector<observe::SlabCache>& created);

} // namespace kmgrade::agent
