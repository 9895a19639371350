#pragma once

#include "kernel_paths.h"

#include "observe/observation.h"

#include <map>
#include <string>
#include <vector>

namespace kmgrade::agent {

using SlabSnapshot = std::map<std::string, observe::SlabCache>;

// Every cache in /sys/kernel/slab with its object size and object count. Merged aliases
// (symbolic links to another cache) are left out.
SlabSnapshot slab_snapshot(const KernelPaths& paths);

// The caches of `after` that `before` did not have, in name order.
std::vector<observe::SlabCache> caches_created(const SlabSnapshot& before, const SlabSnapshot& after);

// Those of `created` that are still in `after`, as `after` shows them.
std::vector<observe::SlabCache> caches_left(const std::vector<observe::SlabCache>& created, const SlabSnapshot& after);

} // namespace kmgrade::agent
