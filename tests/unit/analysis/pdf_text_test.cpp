// Reading G(r) text: PDFgetX3 headers, plain columns, and errors that name the line.
#include <doctest/doctest.h>

#include <string>

#include "analysis/pdf_text.hpp"
#include "core/error.hpp"

using glasslab::analysis::parse_pdf_text;

namespace {
std::string error_of(const std::string& text, const std::string& name) {
  try {
    parse_pdf_text(text, name);
  } catch (const glasslab::ProtocolError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("PDFgetX3 .gr: header entries kept, data after the marker") {
  const std::string text =
      "[DEFAULT]\n"
      "version = pdfgetx3-2.1.1\n"
      "rpoly = 0.85\n"
      "qmax = 24.0\n"
      "# comment = ignored\n"
      "#### start data\n"
      "#S 1\n"
      "#L r($\\AA$)  G($\\AA^{-2}$)\n"
      "0.01 -0.0068\n"
      "0.02 -0.0135\n"
      "0.03 -0.0203\n";
  const auto pdf = parse_pdf_text(text, "frame_0001.gr");
  CHECK(pdf.pdfgetx3_header);
  REQUIRE(pdf.r_A.size() == 3);
  CHECK(pdf.r_A[1] == doctest::Approx(0.02));
  CHECK(pdf.G_per_A2[2] == doctest::Approx(-0.0203));
  REQUIRE(pdf.rpoly_A());
  CHECK(*pdf.rpoly_A() == doctest::Approx(0.85));
  CHECK(pdf.header.at("version") == "pdfgetx3-2.1.1");
  CHECK(pdf.header.count("# comment") == 0);
}

TEST_CASE("plain three-column text with comments and blank lines") {
  const auto pdf = parse_pdf_text("# r G dG\n\n0.5 -0.3 0.01\n1.0\t-0.6\t0.02  # trailing\n1.5 -0.9 0.03\n", "plain.txt");
  CHECK_FALSE(pdf.pdfgetx3_header);
  REQUIRE(pdf.dG_per_A2.size() == 3);
  CHECK(pdf.dG_per_A2[1] == doctest::Approx(0.02));
  CHECK_FALSE(pdf.rpoly_A());
}

TEST_CASE("errors name the source, the line and the value") {
  CHECK(error_of("0.1 0.2\n0.2 abc\n0.3 0.1\n", "bad.gr").find("bad.gr:2: column 2 is not a finite number: 'abc'") !=
        std::string::npos);
  CHECK(error_of("a = b\n#### start data\n#L r G\n0.1 0.2\n0.2 0.3\n0.15 0.1\n", "order.gr").find("order.gr:6:") !=
        std::string::npos);
  CHECK(error_of("0.1 0.2\n0.2 0.3 0.4\n0.3 0.1\n", "cols.txt").find("cols.txt:2: 3 columns where line 1 had 2") !=
        std::string::npos);
  CHECK(error_of("0.1 0.2 0.3 0.4 0.5\n", "wide.txt").find("wide.txt:1:") != std::string::npos);
  CHECK(error_of("0.1 nan\n", "nan.txt").find("nan.txt:1: column 2") != std::string::npos);
  CHECK(error_of("# only a comment\n0.1 0.2\n", "short.txt").find("short.txt: 1 data rows") != std::string::npos);
}
