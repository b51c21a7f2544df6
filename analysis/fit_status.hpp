#pragma once
// How a fit ended. A fit that did not give a trustworthy number carries a status other than `ok`
// and a reason for people; its numbers are then std::nullopt, never a value that looks valid.
#include <string>
#include <string_view>

namespace glasslab::analysis {

enum class FitStatus {
  ok,
  not_converged,      ///< the solver stopped without meeting its tolerances
  ill_conditioned,    ///< the normal matrix is (nearly) singular: parameters not identifiable
  insufficient_data,  ///< too few points for the model
  out_of_window,      ///< the optimum left the region where the model applies
  invalid_input,      ///< non-finite values, non-physical result (e.g. rho0 <= 0)
  not_significant,    ///< the effect sought is not clearly larger than its uncertainty
};

constexpr std::string_view to_string(FitStatus status) {
  switch (status) {
    case FitStatus::ok: return "ok";
    case FitStatus::not_converged: return "not_converged";
    case FitStatus::ill_conditioned: return "ill_conditioned";
    case FitStatus::insufficient_data: return "insufficient_data";
    case FitStatus::out_of_window: return "out_of_window";
    case FitStatus::invalid_input: return "invalid_input";
    case FitStatus::not_significant: return "not_significant";
  }
  return "unknown";
}

}  // namespace glasslab::analysis
