#include "drivers/transport/make_byte_transport.hpp"

#include <fmt/format.h>

#include "drivers/transport/serial_port.hpp"

namespace glasslab::transport {

std::unique_ptr<ByteTransport> make_byte_transport(const ConnectionString& connection) {
  if (connection.scheme == "serial") return std::make_unique<SerialPort>(connection);
  // Add further byte-stream schemes here, e.g.
  //   if (connection.scheme == "tcp") return std::make_unique<TcpStream>(connection);
  throw UsageError(fmt::format("connection string '{}': unknown transport scheme '{}' (known: serial)",
                               connection.to_string(), connection.scheme));
}

}  // namespace glasslab::transport
