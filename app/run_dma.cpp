#include <fmt/format.h>

#include "app/run_parts.hpp"
#include "core/error.hpp"

namespace glasslab::app {

std::unique_ptr<DmaPart> DmaPart::prepare(const schedules::Schedule& schedule, const RunOptions&, const Clock&,
                                          std::int64_t) {
  for (const auto& step : schedule.steps)
    if (step.uses_rheometer())
      throw UsageError(fmt::format("{}:{}: DMA steps are not wired into `run` yet", step.where.file, step.where.line));
  return nullptr;
}

}  // namespace glasslab::app
