#include "app/lifecycle.hpp"

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/log.hpp"

namespace mc {
namespace {

using Deadline = std::chrono::steady_clock::time_point;

TEST(LifecycleTest, StopsRunLastStartedFirstEachOnceWithTheDeadline) {
  Lifecycle services;
  std::vector<std::string> order;
  std::vector<Deadline> seen;
  for (const char* name : {"uploader", "sealer", "writer", "feeds"}) {
    services.on_stop(name, [&order, &seen, name](Deadline deadline) {
      order.emplace_back(name);
      seen.push_back(deadline);
      return true;
    });
  }
  const Deadline deadline = std::chrono::steady_clock::time_point{} + std::chrono::seconds(20);
  const auto log = make_logger("test");

  EXPECT_TRUE(services.stop_all(deadline, *log).empty());
  EXPECT_EQ(order, (std::vector<std::string>{"feeds", "writer", "sealer", "uploader"}));
  EXPECT_EQ(seen, std::vector<Deadline>(4, deadline));

  EXPECT_TRUE(services.stop_all(deadline, *log).empty());
  EXPECT_EQ(order.size(), 4U) << "a stop ran twice";
}

TEST(LifecycleTest, ServicesThatStoppedWithWorkLeftAreNamedAndTheRestStillStop) {
  Lifecycle services;
  std::vector<std::string> stopped;
  services.on_stop("uploader", [&](Deadline) {
    stopped.emplace_back("uploader");
    return false;
  });
  services.on_stop("sealer", [&](Deadline) {
    stopped.emplace_back("sealer");
    return false;
  });
  services.on_stop("writer", [&](Deadline) {
    stopped.emplace_back("writer");
    return true;
  });
  const auto log = make_logger("test");
  EXPECT_EQ(services.stop_all(Deadline{}, *log), (std::vector<std::string>{"sealer", "uploader"}));
  EXPECT_EQ(stopped, (std::vector<std::string>{"writer", "sealer", "uploader"}));
}

}  // namespace
}  // namespace mc
