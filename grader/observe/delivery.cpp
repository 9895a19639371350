#include "observe/delivery.h"

#include <charconv>
#include <cstdint>
#include <sstream>
#include <stdexcept>

namespace kmgrade::observe {

namespace {

constexpr std::string_view k_magic = "kmgrade-delivery 1 ";
// More than any plan and its modules: a header that says more is not a delivery.
constexpr std::size_t k_max_body = std::size_t{512} << 20;
constexpr std::size_t k_max_header = 128;

// FNV-1a: the serial line is the host's own, so only a byte lost or changed on the way is
// looked for, not an adversary.
std::uint64_t checksum(std::string_view data)
{
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : data) {
    h = (h ^ c) * 1099511628211ull;
  }
  return h;
}

[[noreturn]] void broken(const std::string& why)
{
  throw std::runtime_error("the delivery from the host is broken: " + why);
}

template <typename Number = std::size_t>
Number to_number(std::string_view text, int base = 10)
{
  Number value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) {
    broken("'" + std::string(text) + "' is not a number");
  }
  return value;
}

// One "KIND FIELD... SIZE\n" line and its SIZE bytes, from `body` at `at`.
std::string_view next_part(std::string_view body, std::size_t& at, std::vector<std::string_view>& fields)
{
  const auto nl = body.find('\n', at);
  if (nl == std::string_view::npos) {
    broken("a part has no header line");
  }
  fields.clear();
  std::string_view line = body.substr(at, nl - at);
  for (std::size_t i = 0; fields.size() < 3 && i <= line.size();) {
    auto space = fields.size() == 2 ? std::string_view::npos : line.find(' ', i);
    fields.push_back(line.substr(i, space == std::string_view::npos ? std::string_view::npos : space - i));
    i = space == std::string_view::npos ? line.size() + 1 : space + 1;
  }
  if (fields.size() < 2) {
    broken("a part's header line is '" + std::string(line) + "'");
  }
  const std::size_t size = to_number(fields[1]);
  if (size > body.size() - nl - 1) {
    broken("a part is longer than the delivery");
  }
  at = nl + 1 + size;
  return body.substr(nl + 1, size);
}

} // namespace

std::string encode_delivery(const Delivery& delivery)
{
  std::string body;
  for (const auto& f : delivery.files) {
    std::ostringstream mode;
    mode << std::oct << f.mode;
    body += "file " + std::to_string(f.data.size()) + " " + mode.str() + " " + f.path + "\n" + f.data;
  }
  body += "plan " + std::to_string(delivery.plan_json.size()) + "\n" + delivery.plan_json;
  return std::string(k_magic) + std::to_string(body.size()) + " " + std::to_string(checksum(body)) + "\n" + body;
}

std::size_t DeliveryReader::feed(std::string_view bytes)
{
  std::size_t used = 0;
  while (!m_header_read && used < bytes.size()) {
    const char c = bytes[used++];
    if (c != '\n') {
      m_header += c;
      if (m_header.size() > k_max_header) {
        broken("its first line is too long");
      }
      continue;
    }
    std::string_view header(m_header);
    if (header.substr(0, k_magic.size()) != k_magic) {
      broken("it begins with '" + m_header + "'");
    }
    header.remove_prefix(k_magic.size());
    const auto space = header.find(' ');
    if (space == std::string_view::npos) {
      broken("its first line has no checksum");
    }
    m_body_size = to_number(header.substr(0, space));
    m_checksum = to_number<unsigned long long>(header.substr(space + 1));
    if (m_body_size > k_max_body) {
      broken("it says it is " + std::to_string(m_body_size) + " bytes long");
    }
    m_body.reserve(m_body_size);
    m_header_read = true;
  }
  if (!m_header_read || m_done) {
    return used;
  }
  const std::size_t take = std::min(bytes.size() - used, m_body_size - m_body.size());
  m_body.append(bytes.substr(used, take));
  used += take;
  if (m_body.size() < m_body_size) {
    return used;
  }
  if (checksum(m_body) != m_checksum) {
    broken("its checksum does not match (a byte was lost or changed on the way)");
  }
  Delivery d;
  std::vector<std::string_view> fields;
  std::size_t at = 0;
  bool has_plan = false;
  while (at < m_body.size()) {
    const auto data = next_part(m_body, at, fields);
    if (fields[0] == "file" && fields.size() == 3) {
      const auto space = fields[2].find(' ');
      if (space == std::string_view::npos || space + 1 >= fields[2].size() || fields[2][space + 1] != '/') {
        broken("a file has no absolute path");
      }
      d.files.push_back({std::string(fields[2].substr(space + 1)),
                         static_cast<unsigned>(to_number(fields[2].substr(0, space), 8)), std::string(data)});
    } else if (fields[0] == "plan" && fields.size() == 2) {
      d.plan_json = std::string(data);
      has_plan = true;
    } else {
      broken("a part is a '" + std::string(fields[0]) + "'");
    }
  }
  if (!has_plan) {
    broken("it holds no plan");
  }
  m_done = std::move(d);
  return used;
}

} // namespace kmgrade::observe
