#include <fmt/format.h>

#include "app/run_parts.hpp"
#include "core/error.hpp"

namespace glasslab::app {

std::unique_ptr<XrdPart> XrdPart::prepare(const schedules::Schedule& schedule, const RunOptions&, const Clock&,
                                          std::int64_t, const std::string&, const std::string&) {
  for (const auto& step : schedule.steps)
    if (step.xrd)
      throw UsageError(fmt::format("{}:{}: X-ray acquisition during stage steps is not wired into `run` yet",
                                   step.where.file, step.where.line));
  return nullptr;
}

}  // namespace glasslab::app
