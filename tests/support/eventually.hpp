#pragma once
// Waiting for what another thread does: polls the condition, in real time, until it holds or the
// timeout passes. The timeout only bounds a test that is failing; a passing one returns as soon as
// the event happened. ASSERT_TRUE(eventually(...)) reports a wait that never ended.

#include <chrono>
#include <thread>

namespace mc::testing {

template <typename Condition>
bool eventually(const Condition& condition, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace mc::testing
