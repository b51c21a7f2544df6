#pragma once
// Reduced pair distribution functions G(r) from text (docs/analysis.md, "Reading G(r)").
//
// Two layouts are accepted, both as the file's text (this is pure parsing: the caller reads the
// file, so analysis/ stays free of I/O):
//  - PDFgetX3 `.gr`: a header of configuration lines (`key = value`, `[section]`, comments) up to
//    the `#### start data` marker, then `#S`/`#L r G` lines, then whitespace-separated columns.
//  - plain text: two or three columns (r [Å], G [Å^-2], optional dG) with `#` comments; the
//    four-column PDFgui layout (r G dr dG) is accepted too.
// Errors are glasslab::ProtocolError naming "source:line" and the offending value.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glasslab::analysis {

struct PdfData {
  std::vector<double> r_A;          ///< radius, strictly increasing [Å]
  std::vector<double> G_per_A2;     ///< reduced PDF G(r) [Å^-2]
  std::vector<double> dG_per_A2;    ///< uncertainty of G when a third column exists, else empty
  std::map<std::string, std::string> header;  ///< PDFgetX3 `key = value` header entries
  bool pdfgetx3_header = false;     ///< true when the `#### start data` marker was found

  /// The polynomial-correction radius `rpoly` from a PDFgetX3 header, when present and numeric.
  std::optional<double> rpoly_A() const;
};

/// Parses G(r) text. `source_name` (usually the file name) prefixes every error message.
PdfData parse_pdf_text(std::string_view text, std::string_view source_name);

}  // namespace glasslab::analysis
