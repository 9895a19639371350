#include "batch/progress_board.h"

#include <gtest/gtest.h>

using namespace kmgrade::batch;

TEST(ProgressBoard, DurationsReadAsPeopleWriteThem)
{
  EXPECT_EQ(format_duration(42.4), "42s");
  EXPECT_EQ(format_duration(252), "4m12s");
  EXPECT_EQ(format_duration(3720), "1h02m");
}

TEST(ProgressBoard, StagesCountAsPartsOfAGrade)
{
  EXPECT_EQ(stage_fraction(""), 0);
  EXPECT_EQ(stage_fraction("building"), 0.05);
  EXPECT_EQ(stage_fraction("booting"), 0.15);
  EXPECT_DOUBLE_EQ(stage_fraction("load 0 of 28"), 0.25);
  EXPECT_DOUBLE_EQ(stage_fraction("load 14 of 28"), 0.6);
  EXPECT_DOUBLE_EQ(stage_fraction("load 28 of 28"), 0.95);
  EXPECT_DOUBLE_EQ(stage_fraction("load 40 of 28"), 0.95) << "never more than the loads";
  EXPECT_EQ(stage_fraction("checking"), 0.95);
}

TEST(ProgressBoard, TheEtaComesFromTheFirstMinuteEvenBeforeAStudentIsDone)
{
  BoardState state;
  state.total = 200;
  state.elapsed_s = 10;
  state.running = {{"a", "load 14 of 28", 10}, {"b", "load 14 of 28", 10}};
  EXPECT_FALSE(eta_seconds(state)) << "too early to tell";
  state.elapsed_s = 30;
  // 1.2 grades' worth in 30 s: 198.8 left at 25 s each.
  ASSERT_TRUE(eta_seconds(state));
  EXPECT_DOUBLE_EQ(*eta_seconds(state), 198.8 * 30 / 1.2);
  state.running.clear();
  EXPECT_FALSE(eta_seconds(state)) << "nothing has moved";
}

TEST(ProgressBoard, StudentsUnchangedSinceTheirReportDoNotCountAsPace)
{
  BoardState state;
  state.total = 10;
  state.done = 6;
  state.skipped = 5;
  state.elapsed_s = 60;
  // One graded in a minute, four to go.
  EXPECT_DOUBLE_EQ(*eta_seconds(state), 240);
}

TEST(ProgressBoard, TheBoardShowsTheBarAndEachRunningStudent)
{
  BoardState state;
  state.total = 4;
  state.done = 1;
  state.failed = 1;
  state.elapsed_s = 75;
  state.running = {{"Ada Lovelace (101)", "load 12 of 29", 41}, {"Alan Turing (102)", "", 2}};
  const auto lines = render_board(state, 200);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0].substr(0, lines[0].find(" ETA")),
            "[####............] 1/4 done, 2 running, 1 failed, elapsed 1m15s,");
  EXPECT_NE(lines[0].find("ETA "), std::string::npos);
  EXPECT_EQ(lines[1], "  Ada Lovelace (101): load 12 of 29, 41s");
  EXPECT_EQ(lines[2], "  Alan Turing (102): starting, 2s");
}

TEST(ProgressBoard, LinesFitTheTerminalCountingCharactersNotBytes)
{
  BoardState state;
  state.total = 1;
  state.running = {{"Ólafur Ragnar Grímsson Þórðarson (107)", "booting", 3}};
  const auto lines = render_board(state, 20);
  EXPECT_EQ(lines[1], "  Ólafur Ragnar Grím");
}

TEST(ProgressBoard, WhatAStudentNamedCannotDriveTheTerminal)
{
  EXPECT_EQ(terminal_safe("Eve\033[2J\033]0;owned\007 (666)"), "Eve?[2J?]0;owned? (666)");
  EXPECT_EQ(terminal_safe("Mallory\xc2\x9b"
                          "31m"),
            "Mallory?31m")
    << "C1 CSI";
  EXPECT_EQ(terminal_safe("Zoë"), "Zoë");
  BoardState state;
  state.total = 1;
  state.running = {{"Eve\033[1A", "booting", 1}};
  EXPECT_EQ(render_board(state, 80)[1], "  Eve?[1A: booting, 1s");
}

TEST(ProgressBoard, ABatchThatIsStoppingSaysSo)
{
  BoardState state;
  state.total = 200;
  state.done = 57;
  state.failed = 2;
  state.elapsed_s = 3725;
  state.stopping = true;
  const auto line = render_board(state, 200)[0];
  EXPECT_EQ(line, "stopping: [####............] 57/200 done, 0 running, 2 failed, elapsed 1h02m, ETA 2h35m");
  EXPECT_LE(render_board(state, 80)[0].size(), 80u);
}
