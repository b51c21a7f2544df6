// The character check of toml_guard.hpp: a small TOML lexer (TOML 1.0, as toml++ 3.3.0 reads it)
// that knows comments, the four kinds of strings, and where a string may start, enough to tell
// where a non-ASCII character sits.
//
// A quote starts a string only where a key segment or a value starts: at the start of a line, after
// '=', '[', '{', ',', or after '.' in a key. Anywhere else it is part of a bare token toml++ is
// already refusing, and toml++ keeps reading that token's characters with its whitespace test
// (fuzz/regressions/schedule/quote_inside_a_bare_value_*): what follows is checked as outside.
#include "schedules/toml_guard.hpp"

#include <vector>

#include <fmt/format.h>

#include "core/error.hpp"

namespace glasslab::schedules::detail {
namespace {

class Scanner {
public:
  Scanner(std::string_view text, const std::string& path) : text_(text), path_(path) {}

  void run() {
    while (!at_end()) {
      const char c = peek();
      if (c == '#') {
        skip_comment();
      } else if ((c == '"' || c == '\'') && token_start_) {
        skip_string(c);
        token_start_ = false;
      } else {
        if (is_non_ascii(c))
          fail("{} outside a quoted string or a comment (keys, numbers and booleans are ASCII in TOML)");
        structure(c);
        advance();
      }
    }
  }

private:
  // Follows keys, values, headers, arrays and inline tables far enough to know token starts.
  void structure(char c) {
    switch (c) {
      case ' ':
      case '\t':
      case '\r': return;
      case '\n':  // a newline ends a key/value or a header; inside an array it changes nothing
        if (nesting_.empty() || nesting_.back() == header) {
          nesting_.clear();
          in_key_ = true;
          token_start_ = true;
        }
        return;
      case '=': in_key_ = false; token_start_ = true; return;
      case '.': token_start_ = in_key_; return;  // a dotted key; in a value, part of a number
      case '[': nesting_.push_back(in_key_ ? header : array); token_start_ = true; return;
      case '{': nesting_.push_back(inline_table); in_key_ = true; token_start_ = true; return;
      case ',': in_key_ = !nesting_.empty() && nesting_.back() == inline_table; token_start_ = true; return;
      case ']':
      case '}':
        if (!nesting_.empty()) nesting_.pop_back();
        in_key_ = false;  // after an array or inline table: after a value
        token_start_ = false;
        return;
      default: token_start_ = false;
    }
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek(std::size_t ahead = 0) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }
  static bool is_non_ascii(char c) { return static_cast<unsigned char>(c) >= 0x80; }

  void advance() {
    if (text_[pos_] == '\n') {
      ++line_;
      column_ = 1;
    } else if ((static_cast<unsigned char>(text_[pos_]) & 0xC0) != 0x80) {
      ++column_;  // columns count code points: a UTF-8 continuation byte is not a new column
    }
    ++pos_;
  }

  std::size_t quote_run(char quote) const {
    std::size_t n = 0;
    while (peek(n) == quote) ++n;
    return n;
  }

  void skip_comment() {
    while (!at_end() && peek() != '\n') advance();
  }

  void skip_string(char quote) {
    const bool multi_line = quote_run(quote) >= 3;
    if (quote_run(quote) == 2) {  // "" or '': an empty string
      advance();
      advance();
      return;
    }
    for (std::size_t i = 0; i < (multi_line ? 3u : 1u); ++i) advance();
    while (!at_end()) {
      const char c = peek();
      if (!multi_line && c == '\n') return;  // unterminated: toml++ reports it
      if (c == quote) {
        const std::size_t run = multi_line ? quote_run(quote) : 1;
        if (run >= (multi_line ? 3u : 1u)) {
          for (std::size_t i = 0; i < run; ++i) advance();  // up to two quotes may end the content
          return;
        }
      }
      if (c == '\\' && quote == '"') {
        advance();
        const bool continued = multi_line && checked_after_backslash();
        // Past the escaped character; after a line continuation the text is content again (maybe
        // the closing quotes), and in a one-line string a newline ends it (toml++ reports that).
        if (!continued && !at_end() && peek() != '\n') advance();
        continue;
      }
      advance();
    }
  }

  // toml++ asks "is this whitespace?" of the character after a backslash in a """string""", and
  // after a line-ending backslash of the first character of the next text. True when the
  // backslash continued the line (its whitespace is consumed).
  bool checked_after_backslash() {
    if (is_non_ascii(peek())) fail("{} right after a backslash in a multi-line string");
    const auto blank = [&] { return peek() == ' ' || peek() == '\t' || peek() == '\r' || peek() == '\n'; };
    if (!blank()) return false;
    while (blank()) advance();
    if (is_non_ascii(peek()))
      fail("{} first on a line continued by a backslash in a multi-line string; write it as \\u{:04X}");
    return true;
  }

  /// The code point at pos_ (U+FFFD when the bytes are not UTF-8: toml++ would refuse them too).
  char32_t code_point() const {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(peek(i)); };
    const unsigned lead = byte(0);
    const int length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (length == 1) return lead < 0x80 ? lead : 0xFFFD;
    char32_t value = lead & (0x3F >> (length - 1));
    for (int i = 1; i < length; ++i) {
      if ((byte(i) & 0xC0) != 0x80) return 0xFFFD;
      value = (value << 6) | (byte(i) & 0x3F);
    }
    return value;
  }

  [[noreturn]] void fail(const char* what) const {
    const char32_t cp = code_point();
    std::size_t length = 1;
    while (length < 4 && (static_cast<unsigned char>(peek(length)) & 0xC0) == 0x80) ++length;
    const std::string shown = cp == 0xFFFD ? std::string("a byte that is not UTF-8")
                                           : fmt::format("'{}' (U+{:04X})", text_.substr(pos_, length),
                                                         static_cast<unsigned>(cp));
    throw ScheduleError(fmt::format("{}:{}:{}: TOML syntax: {}", path_, line_, column_,
                                    fmt::format(fmt::runtime(what), shown, static_cast<unsigned>(cp))));
  }

  std::string_view text_;
  const std::string& path_;
  std::size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
  static constexpr char header = 'h', array = 'a', inline_table = 't';
  std::vector<char> nesting_;  ///< open [table header], [array] and {inline table}
  bool in_key_ = true;         ///< reading a key (else a value)
  bool token_start_ = true;    ///< a key segment or a value may start here
};

}  // namespace

void check_toml_characters(std::string_view text, const std::string& path) { Scanner(text, path).run(); }

}  // namespace glasslab::schedules::detail
