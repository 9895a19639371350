#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kmgrade::observe {

// What the agent says on its channel once it can take its plan: the sandbox boots while the
// modules are still being built, and the host sends the plan and the modules only then. A byte
// sent before the agent opened the port would be lost as the port is set up.
inline constexpr std::string_view k_delivery_request = "kmgrade-agent: ready for the plan\n";

// One file the agent writes into the guest's root before it loads anything.
struct DeliveredFile
{
  std::string path; // absolute, "/modules/student/kmlab_list.ko"
  unsigned mode = 0644;
  std::string data;
};

// The plan (its JSON) and the files its loads need, as the host sends them.
struct Delivery
{
  std::string plan_json;
  std::vector<DeliveredFile> files;
};

// The delivery as bytes: a header line with the body's length and checksum, then each file
// and the plan, each with its length. Cannot fail.
std::string encode_delivery(const Delivery& delivery);

// Reads a delivery from bytes as they come (the agent feeds what each read(2) gave).
class DeliveryReader
{
public:
  // Takes the next bytes; returns how many of them belong to the delivery (the rest come
  // after it). Throws std::runtime_error for a header, length or checksum that is wrong.
  std::size_t feed(std::string_view bytes);

  // The delivery once every byte of it has come.
  const std::optional<Delivery>& done() const { return m_done; }

private:
  std::string m_header;
  std::size_t m_body_size = 0;
  bool m_header_read = false;
  std::string m_body;
  unsigned long long m_checksum = 0;
  std::optional<Delivery> m_done;
};

} // namespace kmgrade::observe
