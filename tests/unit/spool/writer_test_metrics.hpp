#pragma once
// The two structs a writer counts in, as one object a test reads and hands to a writer.

#include "common/metrics.hpp"
#include "spool/spool_metrics.hpp"

namespace mc::testing {

struct WriterTestMetrics : SpoolMetrics, RecordMetrics {
  // NOLINTNEXTLINE(google-explicit-constructor): passed where a writer takes its WriterMetrics
  operator WriterMetrics() { return {*this, *this}; }
};

}  // namespace mc::testing
