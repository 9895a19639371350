#include "run/kernel_image.h"

#include "util/files.h"
#include "util/sha256.h"

#include <archive.h>

#include <elf.h>

#include <array>
#include <cstring>
#include <memory>

namespace kmgrade::run {

namespace {

template <typename T>
std::optional<T> read_at(std::string_view bytes, std::uint64_t offset)
{
  if (offset > bytes.size() || bytes.size() - offset < sizeof(T)) {
    return std::nullopt;
  }
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

// The whole of a compressed stream that starts at `from`, or nullopt when it does not unpack.
std::optional<std::string> unpack(std::string_view image, std::size_t from)
{
  std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
  archive_read_support_filter_xz(a.get());
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_zstd(a.get());
  archive_read_support_format_raw(a.get());
  archive_entry* entry = nullptr;
  if (archive_read_open_memory(a.get(), image.data() + from, image.size() - from) != ARCHIVE_OK ||
      archive_read_next_header(a.get(), &entry) != ARCHIVE_OK ||
      archive_filter_code(a.get(), 0) == ARCHIVE_FILTER_NONE) {
    return std::nullopt;
  }
  std::string out;
  std::array<char, 1 << 16> buf;
  for (;;) {
    const la_ssize_t n = archive_read_data(a.get(), buf.data(), buf.size());
    if (n <= 0) {
      // What follows the stream in a bzImage is not part of it: an error there still leaves
      // a whole kernel, which has_pvh_entry checks.
      return out;
    }
    out.append(buf.data(), static_cast<std::size_t>(n));
  }
}

} // namespace

bool has_pvh_entry(std::string_view elf)
{
  const auto header = read_at<Elf64_Ehdr>(elf, 0);
  if (!header || std::memcmp(header->e_ident, ELFMAG, SELFMAG) != 0 || header->e_ident[EI_CLASS] != ELFCLASS64 ||
      header->e_phentsize != sizeof(Elf64_Phdr)) {
    return false;
  }
  // Cut short, the kernel would fail to boot: its sections must all be there.
  if (header->e_shoff + static_cast<std::uint64_t>(header->e_shnum) * header->e_shentsize > elf.size()) {
    return false;
  }
  for (unsigned i = 0; i < header->e_phnum; ++i) {
    const auto ph = read_at<Elf64_Phdr>(elf, header->e_phoff + i * sizeof(Elf64_Phdr));
    if (!ph || ph->p_type != PT_NOTE || ph->p_offset > elf.size() || ph->p_filesz > elf.size() - ph->p_offset) {
      continue;
    }
    for (std::uint64_t at = ph->p_offset; at + sizeof(Elf64_Nhdr) <= ph->p_offset + ph->p_filesz;) {
      const auto note = read_at<Elf64_Nhdr>(elf, at);
      const std::uint64_t name_at = at + sizeof(Elf64_Nhdr);
      const std::uint64_t desc_at = name_at + ((note->n_namesz + 3ULL) & ~3ULL);
      if (note->n_namesz == 4 && elf.substr(name_at, 4) == std::string_view("Xen\0", 4) &&
          note->n_type == 18 /* XEN_ELFNOTE_PHYS32_ENTRY */) {
        return true;
      }
      at = desc_at + ((note->n_descsz + 3ULL) & ~3ULL);
    }
  }
  return false;
}

std::optional<std::string> pvh_kernel_in(std::string_view image)
{
  static constexpr std::string_view k_magics[] = {{"\xFD"
                                                   "7zXZ\0",
                                                   6},
                                                  {"\x1F\x8B\x08", 3},
                                                  {"\x28\xB5\x2F\xFD", 4}};
  for (const auto magic : k_magics) {
    const auto at = image.find(magic);
    if (at == std::string_view::npos) {
      continue;
    }
    if (auto elf = unpack(image, at); elf && has_pvh_entry(*elf)) {
      return elf;
    }
  }
  return std::nullopt;
}

std::filesystem::path boot_image(const std::filesystem::path& kernel_image, const std::filesystem::path& cache_dir)
{
  const std::filesystem::path dir = cache_dir / "kernel";
  const std::string key = util::sha256_hex(util::file_stamp(kernel_image)).substr(0, 32);
  const std::filesystem::path elf = dir / (key + ".elf");
  const std::filesystem::path none = dir / (key + ".none");
  std::error_code ec;
  if (std::filesystem::exists(elf, ec)) {
    return elf;
  }
  if (std::filesystem::exists(none, ec)) {
    return kernel_image;
  }
  if (auto unpacked = pvh_kernel_in(util::read_file(kernel_image))) {
    util::write_file_atomically(elf, *unpacked);
    return elf;
  }
  util::write_file_atomically(none, kernel_image.string() + " holds no kernel QEMU can start directly\n");
  return kernel_image;
}

} // namespace kmgrade::run
