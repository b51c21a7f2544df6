#pragma once
// The run's control token (docs/dashboard.md, "The token"): 128 random bits printed by
// `glasslab run` at start. The run store keeps only its SHA-256, so reading the database (which
// anyone with the file can) never reveals the token; a 128-bit random secret needs no slow hash.
#include <string>
#include <string_view>

namespace glasslab::acquisition::control {

/// 32 lowercase hex digits from the kernel's CSPRNG (OpenSSL RAND_bytes). Throws on failure.
std::string make_control_token();

/// Lowercase hex SHA-256 of the token text.
std::string token_sha256_hex(std::string_view token);

/// Constant-time comparison of a presented token with the stored hash.
bool token_matches(std::string_view presented_token, std::string_view stored_sha256_hex);

}  // namespace glasslab::acquisition::control
