#pragma once
// One place that turns a connection string into a transport (docs/architecture.md):
//   serial:/dev/ttyUSB0?baud=19200&flow=rtscts  -> SerialPort
// Other schemes are added beside "serial" in make_byte_transport.cpp.
#include <memory>

#include "drivers/transport/byte_transport.hpp"
#include "drivers/transport/connection_string.hpp"

namespace glasslab::transport {

/// Builds (does not open) the transport a connection string names. Throws UsageError for an
/// unknown scheme or bad options, naming the string.
std::unique_ptr<ByteTransport> make_byte_transport(const ConnectionString& connection);

}  // namespace glasslab::transport
