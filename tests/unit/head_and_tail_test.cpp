#include "observe/head_and_tail.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using kmgrade::observe::HeadAndTail;
using kmgrade::observe::HeadAndTailKeeper;

TEST(HeadAndTail, CapKeepsTheHeadAndTheTail)
{
  std::vector<int> items = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  const HeadAndTail cap{4, 2};
  EXPECT_EQ(cap.cap(items), 6u);
  EXPECT_EQ(items, (std::vector<int>{0, 1, 8, 9}));
  EXPECT_EQ(cap.cap(items), 0u);
  std::vector<bool> kept;
  for (std::size_t i = 0; i < 10; ++i) {
    kept.push_back(cap.keeps(i, 10));
  }
  EXPECT_EQ(kept, (std::vector<bool>{true, true, false, false, false, false, false, false, true, true}));
  EXPECT_TRUE(cap.keeps(3, 4));
  std::vector<int> none = {1, 2, 3};
  EXPECT_EQ((HeadAndTail{0, 0}.cap(none)), 3u);
  EXPECT_TRUE(none.empty());
}

// Fed in pieces of any size, the keeper keeps what the cap keeps of the whole.
TEST(HeadAndTail, TheKeeperAgreesWithTheCapWhateverThePieces)
{
  std::string whole;
  for (int i = 0; i < 1000; ++i) {
    whole += static_cast<char>('a' + i % 26);
  }
  for (std::size_t piece : {1u, 3u, 64u, 999u, 1000u}) {
    for (std::size_t size : {0u, 5u, 10u, 11u, 700u, 1000u}) {
      const HeadAndTail cap{10, 7};
      HeadAndTailKeeper<std::string> keeper(cap);
      for (std::size_t at = 0; at < size; at += piece) {
        keeper.append(whole.begin() + static_cast<std::ptrdiff_t>(at),
                      whole.begin() + static_cast<std::ptrdiff_t>(std::min(at + piece, size)));
      }
      std::string expected = whole.substr(0, size);
      const std::size_t cut = cap.cap(expected);
      EXPECT_EQ(keeper.cut(), cut) << piece << " " << size;
      EXPECT_EQ(keeper.take_head() + keeper.take_tail(), expected) << piece << " " << size;
    }
  }
}
