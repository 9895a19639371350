#pragma once

#include "report/class_page.h"
#include "report/moodle_worksheet.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace kmgrade::batch {

// Which part of a class one run grades: shard k of n, counted from 1.
struct Shard
{
  unsigned k = 1;
  unsigned n = 1;

  bool operator==(const Shard&) const = default;
};

// "K/N" (as --shard gives it) as a Shard. Throws a usage Error naming `text` unless it is two
// whole numbers with 1 <= K <= N.
Shard parse_shard(const std::string& text);

// "2/3". Cannot fail.
std::string to_string(const Shard& shard);

// Lamping and Veach's jump consistent hash ("A Fast, Minimal Memory, Consistent Hash
// Algorithm", 2014): the bucket of `key`, from 0 to buckets - 1. Going from n to n + 1 buckets
// moves about 1/(n + 1) of the keys, each into the new bucket. `buckets` must be at least 1.
std::uint32_t jump_consistent_hash(std::uint64_t key, std::uint32_t buckets);

// A participant id as a 64-bit key: the first 8 bytes of its sha256, big-endian. The same on
// every machine and in every run, whatever else the class holds. Cannot fail.
std::uint64_t student_key(const std::string& id);

// The shard, 1 to n, that grades the student `id` of a class graded in n shards. n >= 1.
unsigned shard_of(const std::string& id, unsigned n);

// The roster's hash: the sha256 of its ids, sorted, each ended by a NUL byte (no file name
// holds one). Cannot fail.
std::string roster_sha256(std::vector<std::string> ids);

// Where a shard's reference times were measured, as its reports say.
struct BaselineSource
{
  std::string measured_at;
  std::string machine;
  std::string accel;

  auto operator<=>(const BaselineSource&) const = default;
};

// What a graded shard's shard.json holds: whom it graded, and what with.
struct ShardRecord
{
  Shard shard;
  std::string roster_sha256;
  std::vector<report::ClassMember> roster;   // every student of the class download, by id
  std::vector<std::string> ids;              // this shard's students, by id
  std::vector<report::FailedStudent> failed; // of them, those whose grading failed in the last run, by id
  std::string grader_version;
  std::string build_sha256; // as the reports' grader.build_sha256
  std::string agent_sha256; // the guest agent the sandbox's initramfs is made of
  std::string lab_id;
  std::string lab_sha256; // as the reports' grader.lab.sha256: the lab file and its reference solution
  std::string rubric_sha256;
  std::string kernel; // the sandbox kernel's release
  std::string kernel_sha256;
  std::string qemu;  // `qemu-system-x86_64 --version`'s first line; "" when it cannot be run
  std::string accel; // of its reports ("tcg", or "kvm, tcg" when they differ); "" when it has none
  std::string machine;
  std::string cpu_model;
  std::vector<BaselineSource> reference_times; // the baselines its reports' timing compares with
  std::string finished_at;                     // UTC
};

nlohmann::json to_json(const ShardRecord& record);

// The record of `j`. Throws Error naming `origin` when a field is missing or of another type.
ShardRecord shard_record_from_json(const nlohmann::json& j, const std::string& origin);

// Where a shard's record is: dir/shard.json. Cannot fail.
std::filesystem::path shard_record_path(const std::filesystem::path& dir);

// The record of the shard graded into `dir`. Throws Error naming the folder when it holds no
// shard.json (not a shard, or one whose grading has not finished) or one that cannot be read.
ShardRecord read_shard_record(const std::filesystem::path& dir);

} // namespace kmgrade::batch
