#pragma once
// A minimal HTTP/1.1 client for end-to-end tests of `glasslab serve` on 127.0.0.1: one request per
// connection (Connection: close), the whole reply read until the server closes. Plain sockets, so
// the tests do not share the server's HTTP code.
#include <map>
#include <string>
#include <vector>

namespace glasslab::test {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  ///< names in lower case
  std::string body;
};

/// Throws std::runtime_error when the connection fails or the reply is not HTTP.
HttpReply http_request(int port, const std::string& method, const std::string& target,
                       const std::vector<std::pair<std::string, std::string>>& headers = {},
                       const std::string& body = {});

}  // namespace glasslab::test
