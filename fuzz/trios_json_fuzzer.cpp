// libFuzzer target: the TRIOS JSON export parser (drivers/rheometer/trios/json_export.cpp), the
// function read_export() picks for a file starting with '{'. nlohmann's own exceptions (type_error,
// out_of_range, ...) must not escape it: a malformed export is a ProtocolError naming the file.
// Invariants: fuzz/trios_checks.hpp.
#include "fuzz/trios_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  glasslab::fuzz::check_trios_parser(glasslab::fuzz::as_text(data, size), glasslab::rheometer::trios::parse_json_export);
  return 0;
}
