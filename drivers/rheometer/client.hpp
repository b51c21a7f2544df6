#pragma once
// RheometerClient: the DHR-3 rheometer service over TCP (docs/rheometer-protocol.md), on
// Boost.Asio. Every exchange is an asynchronous operation bounded by a timeout (the Asio
// "blocking client with timeouts" pattern: async op + io_context::run_for); a lost connection is
// re-opened with exponential back-off and the command retried. Data are fetched by index: the
// client remembers the last index it *delivered* and asks `DATA? <that index>` again after any
// fault, so across reconnects no point is lost or duplicated.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>  // before Asio: Boost 1.74 awaitable.hpp uses std::exchange without it
#include <vector>

#include <boost/asio.hpp>

#include "core/error.hpp"
#include "drivers/rheometer/protocol.hpp"

namespace glasslab::rheometer {

/// The instrument answered `ERR <code>,"<message>"` (or reported a fault in its error queue).
class RheometerError : public DeviceError {
public:
  RheometerError(const std::string& what, int code, std::string instrument_message)
      : DeviceError(what), code_(code), instrument_message_(std::move(instrument_message)) {}
  int code() const noexcept { return code_; }
  const std::string& instrument_message() const noexcept { return instrument_message_; }

private:
  int code_;
  std::string instrument_message_;
};

/// The connection was lost and did not come back within the reconnect budget.
struct RheometerConnectionLost : DeviceError {
  explicit RheometerConnectionLost(const std::string& m) : DeviceError(m) {}
};

struct ClientOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = protocol::default_port;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds reply_timeout{3000};
  int max_reconnect_attempts = 6;                 ///< per failed exchange
  std::chrono::milliseconds backoff_initial{50};  ///< doubled after each failed attempt
  std::chrono::milliseconds backoff_max{2000};
};

/// Parses "tcp:HOST:PORT" or "HOST:PORT" into options (other fields default).
ClientOptions client_options_from_connection(const std::string& connection);

class RheometerClient {
public:
  explicit RheometerClient(ClientOptions options);
  ~RheometerClient();
  RheometerClient(const RheometerClient&) = delete;
  RheometerClient& operator=(const RheometerClient&) = delete;

  /// Opens the connection (with back-off); throws RheometerConnectionLost when it cannot.
  void connect();
  void disconnect() noexcept;
  bool connected() const;

  std::string identify();                          ///< *IDN?
  void configure(const SweepConfiguration& configuration);
  /// SAMPLE AS_CAST|HPT (simulator extension: a fresh sample of that state). A service that does
  /// not know the command answers -100 (RheometerError).
  void load_sample(const std::string& state);
  /// START; the delivered index restarts at 0 for the new run.
  void start();
  /// ABORT (always accepted by the instrument; safe on every exit).
  void abort();
  InstrumentStatus status();
  /// Pops the oldest entry of the instrument's error queue; nullopt when it is empty.
  std::optional<ErrorEntry> next_error();
  /// Every point after the last delivered one (looping over 500-point replies).
  std::vector<DataPoint> fetch_new_points();

  std::int64_t last_delivered_index() const { return last_delivered_index_; }
  /// For a caller that already holds points up to `index` (e.g. resuming a recorder).
  void set_last_delivered_index(std::int64_t index) { last_delivered_index_ = index; }
  int reconnect_count() const { return reconnects_; }
  std::string description() const;

private:
  enum class ReplyKind { single_line, data_block };
  std::vector<std::string> transact(const std::string& command, ReplyKind kind, bool retry);
  std::vector<std::string> exchange_once(const std::string& command, ReplyKind kind);
  void open_socket();
  void close_socket() noexcept;
  void write_all(const std::string& bytes);
  std::string read_line();
  void run_for(std::chrono::milliseconds timeout);
  void send_setting(const std::string& command);
  [[noreturn]] void throw_instrument_error(const std::string& command, const ErrorEntry& entry) const;

  ClientOptions options_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  std::string input_;  // bytes received but not yet consumed as lines
  bool open_ = false;
  bool timed_out_ = false;
  std::int64_t last_delivered_index_ = 0;
  std::int64_t run_number_ = 0;
  int reconnects_ = 0;
};

}  // namespace glasslab::rheometer
