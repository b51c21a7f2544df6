#include "acquisition/control/control_bus.hpp"

#include <fmt/format.h>

#include "acquisition/control/control_token.hpp"
#include "acquisition/store/process_identity.hpp"
#include "acquisition/store/schema.hpp"
#include "acquisition/store/sqlite.hpp"
#include "core/error.hpp"

namespace glasslab::acquisition::control {

namespace {

std::int64_t wall_utc_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::unique_ptr<sqlite::Database> open_read_write(const std::string& db_path, int busy_timeout_ms) {
  auto db = std::make_unique<sqlite::Database>(db_path, sqlite::Database::Mode::read_write);
  db->exec(fmt::format("PRAGMA busy_timeout = {}", busy_timeout_ms));
  return db;
}

void set_request_verdict(sqlite::Database& db, std::int64_t id, bool accepted, const std::string& outcome) {
  db.prepare("UPDATE control_requests SET status = ?2, outcome = ?3, handled_utc_ns = ?4 WHERE id = ?1")
      .bind(1, id)
      .bind(2, accepted ? "accepted" : "refused")
      .bind(3, outcome)
      .bind(4, wall_utc_ns())
      .run();
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// The run's side

ControlBus::ControlBus(std::string db_path, RunId run, const std::string& token_sha256_hex, RunControl& control,
                       StatusSource status, ControlBusOptions options)
    : db_path_(std::move(db_path)), run_(run), control_(control), status_(std::move(status)), options_(options) {
  auto db = open_read_write(db_path_, options_.busy_timeout_ms);
  sqlite::Transaction transaction(*db);
  // A resumed run (glasslab resume) takes its row over with the new token; the old one is void.
  db->prepare("INSERT INTO run_control (run_id, token_sha256, state, status_utc_ns) VALUES (?1, ?2, 'running', ?3) "
              "ON CONFLICT(run_id) DO UPDATE SET token_sha256 = excluded.token_sha256, state = 'running', "
              "status_json = '{}', status_utc_ns = excluded.status_utc_ns")
      .bind(1, run_)
      .bind(2, token_sha256_hex)
      .bind(3, wall_utc_ns())
      .run();
  // Requests recorded before this run existed belong to nobody: start after the newest row.
  last_seen_id_ = db->query_int("SELECT COALESCE(MAX(id), 0) FROM control_requests");
  transaction.commit();
  thread_ = std::thread([this] { loop(); });
}

ControlBus::~ControlBus() { close(); }

std::optional<std::string> ControlBus::last_error() const {
  std::lock_guard lock(error_mutex_);
  return last_error_;
}

void ControlBus::loop() {
  std::unique_ptr<sqlite::Database> db;
  auto next_status = std::chrono::steady_clock::now();
  std::optional<ControlState> published_state;
  while (true) {
    {
      // Wait first: the constructor has just written the row, and a request is only applied
      // after a full poll interval (tests rely on a long interval meaning "never polls").
      std::unique_lock lock(stop_mutex_);
      if (stop_wake_.wait_for(lock, options_.poll_interval, [this] { return stop_; })) break;
    }
    try {
      if (!db) db = open_read_write(db_path_, options_.busy_timeout_ms);
      poll_requests(*db);
      // A change of control state is shown at once; the rest of the status at its cadence.
      const ControlState state = control_.state();
      if (std::chrono::steady_clock::now() >= next_status || state != published_state) {
        publish_status(*db);
        published_state = state;
        next_status = std::chrono::steady_clock::now() + options_.status_interval;
      }
      std::lock_guard lock(error_mutex_);
      last_error_.reset();
    } catch (const std::exception& e) {
      // A locked or briefly unreadable file: keep the run going and try again at the next tick.
      std::lock_guard lock(error_mutex_);
      last_error_ = e.what();
    }
  }
}

void ControlBus::poll_requests(sqlite::Database& db) {
  auto select = db.prepare(
      "SELECT id, action, origin, peer, status, outcome FROM control_requests WHERE run_id = ?1 AND id > ?2 "
      "ORDER BY id");
  select.bind(1, run_).bind(2, last_seen_id_);
  struct Row {
    std::int64_t id;
    std::optional<ControlAction> action;
    ControlOrigin origin;
    std::string status, outcome;
  };
  std::vector<Row> rows;
  while (select.step())
    rows.push_back({select.column_int(0), parse_action(select.column_text(1)),
                    {select.column_text(2), select.column_text(3)}, select.column_text(4), select.column_text(5)});
  for (const auto& row : rows) {
    if (!row.action) {
      set_request_verdict(db, row.id, false, "unknown action");
    } else if (row.status == "pending") {
      const ControlDecision decision = control_.request(*row.action, row.origin);
      set_request_verdict(db, row.id, decision.accepted, decision.outcome);
    } else if (row.status == "refused") {
      control_.note_refused_attempt(*row.action, row.origin, row.outcome);
    }
    last_seen_id_ = row.id;
  }
}

void ControlBus::publish_status(sqlite::Database& db) {
  const std::string state(to_string(control_.state()));
  db.prepare("UPDATE run_control SET state = ?2, status_json = ?3, status_utc_ns = ?4 WHERE run_id = ?1")
      .bind(1, run_)
      .bind(2, state)
      .bind(3, status_ ? status_() : std::string("{}"))
      .bind(4, wall_utc_ns())
      .run();
}

void ControlBus::close() noexcept {
  if (closed_) return;
  closed_ = true;
  {
    std::lock_guard lock(stop_mutex_);
    stop_ = true;
  }
  stop_wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  try {
    auto db = open_read_write(db_path_, options_.busy_timeout_ms);
    sqlite::Transaction transaction(*db);
    publish_status(*db);
    db->prepare("UPDATE control_requests SET status = 'refused', outcome = ?2, handled_utc_ns = ?3 "
                "WHERE run_id = ?1 AND status = 'pending'")
        .bind(1, run_)
        .bind(2, "the run ended before the request was applied")
        .bind(3, wall_utc_ns())
        .run();
    db->prepare("UPDATE run_control SET state = 'ended' WHERE run_id = ?1").bind(1, run_).run();
    transaction.commit();
  } catch (const std::exception& e) {
    // The run's own stop row still tells that it ended; submit_control_request also checks it.
    std::lock_guard lock(error_mutex_);
    last_error_ = e.what();
  }
}

// ---------------------------------------------------------------------------------------------
// The other processes' side

std::string_view to_string(SubmitVerdict verdict) {
  switch (verdict) {
    case SubmitVerdict::queued: return "queued";
    case SubmitVerdict::no_token: return "no_token";
    case SubmitVerdict::wrong_token: return "wrong_token";
    case SubmitVerdict::no_such_run: return "no_such_run";
    case SubmitVerdict::not_controllable: return "not_controllable";
    case SubmitVerdict::not_running: return "not_running";
  }
  return "?";
}

namespace {

struct RunForControl {
  std::string exit_status;
  ProcessIdentity writer;
  std::optional<std::string> token_sha256;
  std::string control_state;
};

std::optional<RunForControl> load_run_for_control(sqlite::Database& db, RunId run) {
  auto select = db.prepare(
      "SELECT r.exit_status, r.writer_pid, r.writer_boot_id, r.writer_start_ticks, c.token_sha256, c.state "
      "FROM runs r LEFT JOIN run_control c ON c.run_id = r.id WHERE r.id = ?1");
  select.bind(1, run);
  if (!select.step()) return std::nullopt;
  return RunForControl{select.column_text(0),
                       {static_cast<int>(select.column_int(1)), select.column_text(2), select.column_int(3)},
                       select.column_optional_text(4),
                       select.column_text(5)};
}

/// The verdict before the run itself is asked: token first (a wrong token learns nothing more),
/// then whether the run still runs.
SubmitResult judge(const RunForControl& r, RunId run, std::string_view token) {
  if (!r.token_sha256)
    return {SubmitVerdict::not_controllable, 0,
            fmt::format("run {} cannot be steered: it was recorded without a control token (imported, or by an "
                        "older glasslab)", run)};
  if (token.empty())
    return {SubmitVerdict::no_token, 0,
            fmt::format("a control token is required: `glasslab run` printed it when run {} started", run)};
  if (!token_matches(token, *r.token_sha256))
    return {SubmitVerdict::wrong_token, 0, fmt::format("wrong control token for run {}", run)};
  if (r.exit_status != "running" || r.control_state == "ended")
    return {SubmitVerdict::not_running, 0,
            fmt::format("run {} is not running (status '{}'): control requests are refused once a run has ended",
                        run, r.exit_status == "running" ? "ending" : r.exit_status)};
  if (!is_alive(r.writer))
    return {SubmitVerdict::not_running, 0,
            fmt::format("run {} is not running: its process (pid {}) is gone, the run was interrupted", run,
                        r.writer.pid)};
  return {SubmitVerdict::queued, 0, fmt::format("request sent to run {}", run)};
}

}  // namespace

SubmitResult submit_control_request(const std::string& db_path, RunId run, ControlAction action,
                                    std::string_view token, const ControlOrigin& origin, int busy_timeout_ms) {
  auto db = open_read_write(db_path, busy_timeout_ms);
  if (db->query_int("PRAGMA user_version") < 2)
    return {SubmitVerdict::not_controllable, 0,
            fmt::format("{} has no control tables (schema version {}): its runs were recorded by an older glasslab",
                        db_path, db->query_int("PRAGMA user_version"))};
  sqlite::Transaction transaction(*db);
  const auto loaded = load_run_for_control(*db, run);
  if (!loaded) return {SubmitVerdict::no_such_run, 0, fmt::format("no run {} in {}", run, db_path)};
  SubmitResult result = judge(*loaded, run, token);
  if (result.verdict == SubmitVerdict::not_controllable) return result;
  const bool queued = result.verdict == SubmitVerdict::queued;
  db->prepare("INSERT INTO control_requests (run_id, action, origin, peer, requested_utc_ns, status, outcome, "
              "handled_utc_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
      .bind(1, run)
      .bind(2, to_string(action))
      .bind(3, origin.kind)
      .bind(4, origin.peer)
      .bind(5, wall_utc_ns())
      .bind(6, queued ? "pending" : "refused")
      .bind(7, queued ? std::string() : result.message)
      .bind(8, queued ? std::optional<std::int64_t>() : std::optional<std::int64_t>(wall_utc_ns()))
      .run();
  result.request_id = db->last_insert_rowid();
  transaction.commit();
  return result;
}

RequestStatus read_request(sqlite::Database& db, std::int64_t request_id) {
  auto select = db.prepare("SELECT status, outcome FROM control_requests WHERE id = ?1");
  select.bind(1, request_id);
  if (!select.step()) throw StoreError(fmt::format("no control request {} in {}", request_id, db.path()));
  return {select.column_text(0), select.column_text(1)};
}

RequestStatus wait_for_request(const std::string& db_path, std::int64_t request_id, std::chrono::milliseconds timeout) {
  sqlite::Database db(db_path, sqlite::Database::Mode::read_only);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    RequestStatus status = read_request(db, request_id);
    if (status.status != "pending" || std::chrono::steady_clock::now() >= deadline) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace glasslab::acquisition::control
