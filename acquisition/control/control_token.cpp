#include "acquisition/control/control_token.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>

#include "core/error.hpp"

namespace glasslab::acquisition::control {

namespace {
std::string to_hex(const unsigned char* bytes, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[bytes[i] >> 4]);
    out.push_back(kDigits[bytes[i] & 0x0f]);
  }
  return out;
}
}  // namespace

std::string make_control_token() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw DeviceError("cannot draw a control token: the system's random generator (OpenSSL RAND_bytes) failed");
  return to_hex(bytes.data(), bytes.size());
}

std::string token_sha256_hex(std::string_view token) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest.data());
  return to_hex(digest.data(), digest.size());
}

bool token_matches(std::string_view presented_token, std::string_view stored_sha256_hex) {
  const std::string presented = token_sha256_hex(presented_token);
  if (presented.size() != stored_sha256_hex.size()) return false;
  return CRYPTO_memcmp(presented.data(), stored_sha256_hex.data(), presented.size()) == 0;
}

}  // namespace glasslab::acquisition::control
