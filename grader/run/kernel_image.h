#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace kmgrade::run {

// The sandbox kernel as QEMU is to load it. Debian's vmlinuz is a bzImage whose compressed
// kernel takes seconds to unpack under emulation, on every boot; the kernel inside is an ELF
// with a PVH entry point, which QEMU starts directly. It is unpacked once per kernel image
// into `cache_dir`. When the image holds no such ELF (another format, no PVH entry), the
// image itself is returned.
std::filesystem::path boot_image(const std::filesystem::path& kernel_image, const std::filesystem::path& cache_dir);

// The ELF kernel one of `image`'s compressed payloads (xz, gzip or zstd) unpacks to, when it
// has a PVH entry point; nullopt otherwise.
std::optional<std::string> pvh_kernel_in(std::string_view image);

// Whether `elf` is a whole 64-bit ELF file with a PVH entry note (Xen's PHYS32_ENTRY).
bool has_pvh_entry(std::string_view elf);

} // namespace kmgrade::run
