#pragma once

#include "similarity/sim_c_output.h"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kmgrade::similarity {

// What sim_c found for one pair of files.
struct CacheEntry
{
  int percent = 0;
  std::optional<std::vector<Run>> runs; // in the order of the key's hashes; only once asked for
};

// sim_c's findings by cache_key of the two normalised files' sha256.
using Cache = std::map<std::string, CacheEntry>;

// The key of a pair of files, whichever comes first: the two hashes, the smaller first.
std::string cache_key(const std::string& h1, const std::string& h2);

// The cache in `path` when it was computed with runs of `min_run` tokens by this kmgrade's
// normalisation; empty when there is none, it cannot be read or is damaged, or it is of
// another min_run or normalisation. Cannot fail.
Cache read_cache(const std::filesystem::path& path, int min_run);

// Writes `cache` to `path` atomically, with `min_run` beside it. Throws Error when it cannot
// be written.
void write_cache(const std::filesystem::path& path, int min_run, const Cache& cache);

// The runs of the pair of files hashed `a_sha256` and `b_sha256`, given as (a, b) whatever the
// key's order; empty when they were never asked for. Throws std::out_of_range when the cache
// has no entry for the pair.
std::vector<Run> cached_runs(const Cache& cache, const std::string& a_sha256, const std::string& b_sha256);

} // namespace kmgrade::similarity
