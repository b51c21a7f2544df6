// libFuzzer target: the G(r) reader (analysis/pdf_text.cpp), the parser analyze_frame_text() runs
// on every detector frame and `glasslab analyze --gr` on every file: PDFgetX3 .gr or plain columns.
// Invariants (docs/analysis.md, "Reading G(r)"): at least 3 rows, r finite, not negative and
// strictly increasing, G finite, dG either absent or one per row and finite, rpoly finite if any.
// A G(r) the reader accepted then goes on to compute_seq(), as in analyze_frame_text(): that may
// refuse it with std::invalid_argument (its documented contract) but must not crash, and a Seq
// it returns is finite.
#include <cmath>
#include <stdexcept>

#include "analysis/pdf_text.hpp"
#include "analysis/seq.hpp"
#include "fuzz/fuzz_support.hpp"

using glasslab::fuzz::require;

namespace {

void check_pdf(const glasslab::analysis::PdfData& pdf) {
  require(pdf.r_A.size() >= 3 && pdf.G_per_A2.size() == pdf.r_A.size(), "at least 3 (r, G) rows");
  require(pdf.dG_per_A2.empty() || pdf.dG_per_A2.size() == pdf.r_A.size(), "dG absent or one per row");
  for (std::size_t i = 0; i < pdf.r_A.size(); ++i) {
    require(std::isfinite(pdf.r_A[i]) && pdf.r_A[i] >= 0 && std::isfinite(pdf.G_per_A2[i]), "r and G finite, r >= 0");
    if (i > 0) require(pdf.r_A[i] > pdf.r_A[i - 1], "r strictly increasing");
  }
  for (double dG : pdf.dG_per_A2) require(std::isfinite(dG), "dG finite");
  if (const auto rpoly = pdf.rpoly_A()) require(std::isfinite(*rpoly), "rpoly finite");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  glasslab::fuzz::parse_or_typed_error(glasslab::ErrorCategory::protocol, [&] {
    const auto pdf = glasslab::analysis::parse_pdf_text(glasslab::fuzz::as_text(data, size), "fuzz.gr");
    check_pdf(pdf);
    try {
      const auto seq = glasslab::analysis::compute_seq(pdf, {});
      require(std::isfinite(seq.seq_kB_per_atom) && std::isfinite(seq.seq_J_per_mol_K), "Seq finite or refused");
    } catch (const std::invalid_argument&) {
      // refused: analyze_frame_text records the reason for the frame
    }
  });
  return 0;
}
