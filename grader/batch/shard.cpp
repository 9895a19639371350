#include "batch/shard.h"

#include "util/error.h"
#include "util/files.h"
#include "util/sha256.h"

#include <algorithm>
#include <charconv>

namespace kmgrade::batch {

namespace fs = std::filesystem;

namespace {

constexpr const char* k_shard_schema = "kmgrade.shard/1";

// A whole number of `text` from `from` to `to` (not included), or 0 when it is none.
unsigned whole_number(const std::string& text, std::size_t from, std::size_t to)
{
  unsigned value = 0;
  const char* first = text.data() + from;
  const char* last = text.data() + to;
  const auto [end, ec] = std::from_chars(first, last, value);
  return ec == std::errc{} && end == last && first != last ? value : 0;
}

} // namespace

Shard parse_shard(const std::string& text)
{
  const auto slash = text.find('/');
  const unsigned k = slash == std::string::npos ? 0 : whole_number(text, 0, slash);
  const unsigned n = slash == std::string::npos ? 0 : whole_number(text, slash + 1, text.size());
  if (k == 0 || n == 0 || k > n) {
    throw Error("--shard " + text + ": give K/N, shard K of N, with K from 1 to N (--shard 2/3)", Error::Kind::usage);
  }
  return {k, n};
}

std::string to_string(const Shard& shard)
{
  return std::to_string(shard.k) + "/" + std::to_string(shard.n);
}

std::uint32_t jump_consistent_hash(std::uint64_t key, std::uint32_t buckets)
{
  // The paper's own loop: a 64-bit linear congruential generator decides each jump.
  std::int64_t b = -1;
  std::int64_t j = 0;
  while (j < static_cast<std::int64_t>(buckets)) {
    b = j;
    key = key * 2862933555777941757ULL + 1;
    j = static_cast<std::int64_t>(static_cast<double>(b + 1) *
                                  (static_cast<double>(1LL << 31) / static_cast<double>((key >> 33) + 1)));
  }
  return static_cast<std::uint32_t>(b);
}

std::uint64_t student_key(const std::string& id)
{
  const std::string hex = util::sha256_hex(id);
  std::uint64_t key = 0;
  std::from_chars(hex.data(), hex.data() + 16, key, 16);
  return key;
}

unsigned shard_of(const std::string& id, unsigned n)
{
  return jump_consistent_hash(student_key(id), n) + 1;
}

std::string roster_sha256(std::vector<std::string> ids)
{
  std::sort(ids.begin(), ids.end());
  std::string all;
  for (const auto& id : ids) {
    all += id;
    all += '\0';
  }
  return util::sha256_hex(all);
}

nlohmann::json to_json(const ShardRecord& r)
{
  auto roster = nlohmann::json::array();
  for (const auto& m : r.roster) {
    roster.push_back({{"id", m.id}, {"full_name", m.full_name}});
  }
  auto failed = nlohmann::json::array();
  for (const auto& f : r.failed) {
    failed.push_back({{"id", f.id}, {"full_name", f.full_name}, {"why", f.why}});
  }
  auto baselines = nlohmann::json::array();
  for (const auto& b : r.reference_times) {
    baselines.push_back({{"measured_at", b.measured_at}, {"machine", b.machine}, {"accel", b.accel}});
  }
  return {{"schema", k_shard_schema},
          {"shard", {{"k", r.shard.k}, {"n", r.shard.n}}},
          {"roster", {{"sha256", r.roster_sha256}, {"students", std::move(roster)}}},
          {"ids", r.ids},
          {"failed", std::move(failed)},
          {"grader", {{"version", r.grader_version}, {"build_sha256", r.build_sha256}}},
          {"lab", {{"id", r.lab_id}, {"sha256", r.lab_sha256}, {"rubric_sha256", r.rubric_sha256}}},
          {"kernel", {{"release", r.kernel}, {"sha256", r.kernel_sha256}}},
          {"sandbox", {{"agent_sha256", r.agent_sha256}, {"qemu", r.qemu}, {"accel", r.accel}}},
          {"machine", {{"name", r.machine}, {"cpu_model", r.cpu_model}}},
          {"reference_times", std::move(baselines)},
          {"finished_at", r.finished_at}};
}

ShardRecord shard_record_from_json(const nlohmann::json& j, const std::string& origin)
{
  try {
    if (j.at("schema") != k_shard_schema) {
      throw Error(origin + " is of schema " + j.at("schema").dump() + "; this kmgrade reads " + k_shard_schema);
    }
    ShardRecord r;
    r.shard = {j.at("shard").at("k").get<unsigned>(), j.at("shard").at("n").get<unsigned>()};
    r.roster_sha256 = j.at("roster").at("sha256").get<std::string>();
    for (const auto& m : j.at("roster").at("students")) {
      r.roster.push_back({m.at("id").get<std::string>(), m.at("full_name").get<std::string>()});
    }
    r.ids = j.at("ids").get<std::vector<std::string>>();
    for (const auto& f : j.at("failed")) {
      r.failed.push_back(
        {f.at("id").get<std::string>(), f.at("full_name").get<std::string>(), f.at("why").get<std::string>(), ""});
    }
    r.grader_version = j.at("grader").at("version").get<std::string>();
    r.build_sha256 = j.at("grader").at("build_sha256").get<std::string>();
    r.lab_id = j.at("lab").at("id").get<std::string>();
    r.lab_sha256 = j.at("lab").at("sha256").get<std::string>();
    r.rubric_sha256 = j.at("lab").at("rubric_sha256").get<std::string>();
    r.kernel = j.at("kernel").at("release").get<std::string>();
    r.kernel_sha256 = j.at("kernel").at("sha256").get<std::string>();
    r.agent_sha256 = j.at("sandbox").at("agent_sha256").get<std::string>();
    r.qemu = j.at("sandbox").at("qemu").get<std::string>();
    r.accel = j.at("sandbox").at("accel").get<std::string>();
    r.machine = j.at("machine").at("name").get<std::string>();
    r.cpu_model = j.at("machine").at("cpu_model").get<std::string>();
    for (const auto& b : j.at("reference_times")) {
      r.reference_times.push_back(
        {b.at("measured_at").get<std::string>(), b.at("machine").get<std::string>(), b.at("accel").get<std::string>()});
    }
    r.finished_at = j.at("finished_at").get<std::string>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    throw Error(origin + " is not a shard record kmgrade wrote: " + e.what());
  }
}

fs::path shard_record_path(const fs::path& dir)
{
  return dir / "shard.json";
}

ShardRecord read_shard_record(const fs::path& dir)
{
  const fs::path path = shard_record_path(dir);
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    throw Error(
      dir.string() +
      " holds no shard.json: it is not the --out of kmgrade batch --shard K/N, or that batch has not graded all of its students yet (rerun it to the end)");
  }
  try {
    return shard_record_from_json(nlohmann::json::parse(util::read_file(path)), path.string());
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(path.string() + " is not JSON: " + e.what());
  }
}

} // namespace kmgrade::batch
