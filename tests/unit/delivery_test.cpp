// What the host hands the agent on its channel: read back whole however the bytes come, and
// refused when a byte was lost or changed.

#include "observe/delivery.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

using namespace kmgrade::observe;

namespace {

Delivery sample()
{
  return {R"({"secret":"s3"})",
          {{"/modules/student/kmlab_list.ko", 0644,
            std::string("\x7f"
                        "ELF\0\n\nfile 3 644 /x\n",
                        20)},
           {"/dir with space/f", 0600, ""}}};
}

void expect_same(const Delivery& got, const Delivery& want)
{
  EXPECT_EQ(got.plan_json, want.plan_json);
  ASSERT_EQ(got.files.size(), want.files.size());
  for (std::size_t i = 0; i < want.files.size(); ++i) {
    EXPECT_EQ(got.files[i].path, want.files[i].path);
    EXPECT_EQ(got.files[i].mode, want.files[i].mode);
    EXPECT_EQ(got.files[i].data, want.files[i].data);
  }
}

} // namespace

TEST(Delivery, ComesBackWholeByteByByteAndSaysWhereItEnds)
{
  const std::string bytes = encode_delivery(sample()) + "after";
  DeliveryReader reader;
  std::size_t used = 0;
  for (std::size_t i = 0; i < bytes.size() && !reader.done(); ++i) {
    used += reader.feed(bytes.substr(i, 1));
  }
  ASSERT_TRUE(reader.done());
  EXPECT_EQ(used, bytes.size() - 5);
  expect_same(*reader.done(), sample());
}

TEST(Delivery, ComesBackWholeInOneRead)
{
  const std::string bytes = encode_delivery(sample());
  DeliveryReader reader;
  EXPECT_EQ(reader.feed(bytes), bytes.size());
  ASSERT_TRUE(reader.done());
  expect_same(*reader.done(), sample());
}

TEST(Delivery, AChangedByteIsRefused)
{
  std::string bytes = encode_delivery(sample());
  bytes[bytes.size() - 3] ^= 0x20;
  DeliveryReader reader;
  try {
    reader.feed(bytes);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(
      std::string(e.what()),
      "the delivery from the host is broken: its checksum does not match (a byte was lost or changed on the way)");
  }
}

TEST(Delivery, SomethingElseIsRefusedAtItsFirstLine)
{
  DeliveryReader reader;
  EXPECT_THROW(reader.feed("KMG abc hello {}\n"), std::runtime_error);
  DeliveryReader endless;
  EXPECT_THROW(endless.feed(std::string(200, 'x')), std::runtime_error);
  DeliveryReader huge;
  EXPECT_THROW(huge.feed("kmgrade-delivery 1 99999999999999 0\n"), std::runtime_error);
}

TEST(Delivery, ALostByteIsNotTakenForTheEnd)
{
  std::string bytes = encode_delivery(sample());
  bytes.erase(bytes.size() / 2, 1);
  DeliveryReader reader;
  EXPECT_EQ(reader.feed(bytes), bytes.size());
  EXPECT_FALSE(reader.done());
}
