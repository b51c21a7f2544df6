#pragma once
// Control of a run from other processes, through the run store (docs/dashboard.md, "Control
// through the run store"). `glasslab ctl` and `glasslab serve` are not the run's process; the
// SQLite file they already share is the bus:
//
//   run process (ControlBus)                    ctl / serve (submit_control_request)
//   ------------------------                    ------------------------------------
//   run_control row: SHA-256 of the token  <--- verify the token, check the run still runs,
//   polls control_requests ~10x a second        insert a row 'pending' (or 'refused' with why)
//   RunControl decides, marks the row      ---> read the verdict (wait_for_request)
//   'accepted' / 'refused' with the outcome
//   rewrites run_control.status_json 2x/s  ---> the dashboard's live status panel
//   at the end: pending rows refused, state 'ended': a replayed request is refused.
//
// The run store's writer thread stays the only writer of readings; these are a few short
// transactions of another connection, which WAL and busy_timeout make safe.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "acquisition/control/run_control.hpp"
#include "acquisition/records.hpp"

namespace glasslab::acquisition::sqlite {
class Database;
}

namespace glasslab::acquisition::control {

struct ControlBusOptions {
  std::chrono::milliseconds poll_interval{100};    ///< how often pending requests are looked for
  std::chrono::milliseconds status_interval{500};  ///< how often run_control.status_json is rewritten
  int busy_timeout_ms = 5000;
};

/// The run's side. Lives from just after begin_run until the engine has finished.
class ControlBus {
public:
  using StatusSource = std::function<std::string()>;  ///< the live status as JSON text

  /// Publishes the token's hash for `run` (committed before this returns; throws StoreError) and
  /// starts the polling thread.
  ControlBus(std::string db_path, RunId run, const std::string& token_sha256_hex, RunControl& control,
             StatusSource status, ControlBusOptions options = {});
  ~ControlBus();
  ControlBus(const ControlBus&) = delete;
  ControlBus& operator=(const ControlBus&) = delete;

  /// Stops polling, refuses what is still pending ("the run ended before ...") and marks the run's
  /// control state 'ended', so that nothing sent later is accepted. Never throws; idempotent.
  void close() noexcept;
  /// Why the last poll failed (e.g. the database was locked longer than busy_timeout), if it did.
  std::optional<std::string> last_error() const;

private:
  void loop();
  void poll_requests(sqlite::Database& db);
  void publish_status(sqlite::Database& db);

  std::string db_path_;
  RunId run_;
  RunControl& control_;
  StatusSource status_;
  ControlBusOptions options_;
  std::int64_t last_seen_id_ = 0;
  std::mutex stop_mutex_;
  std::condition_variable stop_wake_;
  bool stop_ = false;
  bool closed_ = false;
  mutable std::mutex error_mutex_;
  std::optional<std::string> last_error_;
  std::thread thread_;
};

// ---------------------------------------------------------------------------------------------
// The other processes' side.

enum class SubmitVerdict {
  queued,            ///< inserted 'pending': the run decides at its next poll
  no_token,          ///< refused: no token given (HTTP 401)
  wrong_token,       ///< refused: the token does not match the run's (HTTP 403)
  no_such_run,       ///< no run with that id (HTTP 404)
  not_controllable,  ///< the run has no control token (imported, older glasslab) (HTTP 409)
  not_running,       ///< the run has ended (or its process is gone): replays are refused (HTTP 409)
};
std::string_view to_string(SubmitVerdict verdict);

struct SubmitResult {
  SubmitVerdict verdict = SubmitVerdict::no_such_run;
  std::int64_t request_id = 0;  ///< the control_requests row (also for refusals of an existing run)
  std::string message;          ///< for people
};

/// Checks the token against the run's stored hash and that the run is still running (its writer
/// process alive), then records the request. Every attempt on an existing run is recorded with
/// its verdict, so the running process logs refused attempts too. Throws StoreError when the
/// database cannot be opened or written.
SubmitResult submit_control_request(const std::string& db_path, RunId run, ControlAction action,
                                    std::string_view token, const ControlOrigin& origin,
                                    int busy_timeout_ms = 5000);

struct RequestStatus {
  std::string status;   ///< "pending", "accepted", "refused"
  std::string outcome;  ///< the run's answer, for people
};

/// The request's row as it is now; throws StoreError for an unknown id.
RequestStatus read_request(sqlite::Database& db, std::int64_t request_id);
/// Polls until the run has answered or `timeout` passed (then status is still "pending").
RequestStatus wait_for_request(const std::string& db_path, std::int64_t request_id, std::chrono::milliseconds timeout);

}  // namespace glasslab::acquisition::control
