// libFuzzer target: the TRIOS "Export to LIMS" text parser (drivers/rheometer/trios/lims_text.cpp),
// the function `glasslab import trios` and `glasslab analyze --trios` reach through read_export()
// for any file not starting with '{'. Invariants: fuzz/trios_checks.hpp.
#include "fuzz/trios_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  glasslab::fuzz::check_trios_parser(glasslab::fuzz::as_text(data, size), glasslab::rheometer::trios::parse_lims_text);
  return 0;
}
