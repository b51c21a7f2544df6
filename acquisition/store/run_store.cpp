#include "acquisition/store/run_store.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "acquisition/store/process_identity.hpp"
#include "acquisition/store/schema.hpp"
#include "acquisition/store/sqlite.hpp"
#include "acquisition/store/store_writer.hpp"
#include "core/error.hpp"

namespace glasslab::acquisition {

namespace {

using SteadyClock = std::chrono::steady_clock;

std::int64_t wall_utc_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What travels through the queue. Records carry the run they belong to, resolved when they were
// recorded; commands carry the promise their caller waits on.
struct StageItem { RunId run; StageReading reading; };
struct EventItem { RunId run; Event event; };
struct FrameItem { RunId run; FrameRecord frame; };
struct DmaItem { RunId run; DmaPoint point; };
struct AnalysisItem { RunId run; FrameAnalysis analysis; };
struct ResultItem { RunId run; std::string kind, name, json; std::int64_t utc_ns; };
struct CheckpointItem { RunId run; std::string json; std::int64_t utc_ns; };
struct BeginCommand { RunStart start; std::promise<RunId> done; RunId id = 0; };
struct EndCommand { RunId run; RunStop stop; std::promise<void> done; bool found = false; };
struct ResumeCommand { RunId run; std::promise<void> done; std::string refusal; };

using Payload = std::variant<StageItem, EventItem, FrameItem, DmaItem, AnalysisItem, ResultItem, CheckpointItem,
                             BeginCommand, EndCommand, ResumeCommand>;

struct Item {
  std::uint64_t seq = 0;
  SteadyClock::time_point queued_at;
  Payload payload;
};

using Batch = std::deque<Item>;

bool is_command(const Payload& p) {
  return std::holds_alternative<BeginCommand>(p) || std::holds_alternative<EndCommand>(p) ||
         std::holds_alternative<ResumeCommand>(p);
}

void create_parent_directories(const std::string& db_path) {
  const auto parent = std::filesystem::path(db_path).parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) throw StoreError(fmt::format("cannot create directory {} for the database: {}", parent.string(), ec.message()));
}

}  // namespace

struct RunStore::Impl {
  StoreOptions options;
  sqlite::Database db;
  ProcessIdentity self = current_process();
  detail::StoreWriter writer;

  mutable std::mutex mutex;
  std::condition_variable wake_writer;  // records, commands, flush or stop
  std::condition_variable progress;     // processed_seq moved on
  std::deque<Item> queue;
  std::uint64_t enqueued_seq = 0;
  std::uint64_t processed_seq = 0;
  bool urgent = false;  // a flush or command waits: do not wait for the batch to fill
  bool stopping = false;
  std::optional<std::string> error;
  std::function<void(const std::string&)> on_error;
  StoreStats stats;

  std::atomic<bool> failed{false};
  std::atomic<RunId> active_run{0};
  std::thread thread;

  Impl(const std::string& path, StoreOptions opts)
      : options(opts), db((create_parent_directories(path), path), sqlite::Database::Mode::read_write_create),
        writer(prepare(db, opts), self) {}

  // Runs before StoreWriter prepares its statements, which need the tables.
  static sqlite::Database& prepare(sqlite::Database& db, const StoreOptions& opts) {
    schema::configure_writer(db, {opts.synchronous_full, opts.busy_timeout_ms, opts.max_size_bytes});
    schema::migrate(db);
    detail::mark_interrupted_runs(db);
    return db;
  }

  std::uint64_t push(Payload payload) {
    std::lock_guard lock(mutex);
    const bool command = is_command(payload);
    queue.push_back(Item{++enqueued_seq, SteadyClock::now(), std::move(payload)});
    if (!command) ++stats.records_queued;
    stats.max_queue_depth = std::max(stats.max_queue_depth, queue.size());
    // Wake the writer only when it has something new to decide: a command, the first record of a
    // batch (it starts the age timer) or the batch becoming full. Other pushes cost no syscall;
    // the writer re-checks the queue before it waits again.
    if (command) urgent = true;
    if (command || queue.size() == 1 || queue.size() == static_cast<std::size_t>(options.batch_max_rows)) {
      wake_writer.notify_one();
    }
    return enqueued_seq;
  }

  template <typename T>
  void push_record(T item) {
    if (failed.load(std::memory_order_relaxed)) {
      std::lock_guard lock(mutex);
      ++stats.records_dropped;
      return;
    }
    push(Payload(std::move(item)));
  }

  RunId require_active_run(const char* what) const {
    const RunId run = active_run.load();
    if (run == 0) throw UsageError(fmt::format("{} recorded before begin_run() on store {}", what, db.path()));
    return run;
  }

  void run_writer();
  bool take_batch(Batch& batch);
  void write_batch(Batch& batch);
  void write_item(Item& item);
  void finish_batch(Batch& batch, const std::optional<std::string>& failure);
  void salvage_after_failure(Batch& batch);
  void fail(const std::string& reason);
};

// ---------------------------------------------------------------------------------------------
// Writer thread

void RunStore::Impl::run_writer() {
  Batch batch;
  while (take_batch(batch)) {
    if (failed.load()) {
      salvage_after_failure(batch);
    } else {
      write_batch(batch);
    }
    const auto last_seq = batch.back().seq;
    batch.clear();  // frees the records outside the lock
    std::lock_guard lock(mutex);
    processed_seq = last_seq;
    progress.notify_all();
  }
}

// Waits for the next batch: up to batch_max_rows items, taken once the batch is full, the oldest
// item is batch_max_age old, someone waits (flush, command) or the store is closing.
bool RunStore::Impl::take_batch(Batch& batch) {
  std::unique_lock lock(mutex);
  wake_writer.wait(lock, [&] { return stopping || !queue.empty(); });
  if (queue.empty()) return false;  // stopping and drained
  const auto max_rows = static_cast<std::size_t>(options.batch_max_rows);
  wake_writer.wait_until(lock, queue.front().queued_at + options.batch_max_age,
                         [&] { return stopping || urgent || queue.size() >= max_rows; });
  if (queue.size() <= max_rows) {
    batch.swap(queue);  // O(1): producers wait on this lock, so hold it as briefly as possible
  } else {
    for (std::size_t i = 0; i < max_rows; ++i) {
      batch.push_back(std::move(queue.front()));
      queue.pop_front();
    }
  }
  if (queue.empty()) urgent = false;
  return true;
}

void RunStore::Impl::write_batch(Batch& batch) {
  std::optional<std::string> failure;
  try {
    writer.begin();
    for (auto& item : batch) write_item(item);
    writer.commit();
  } catch (const std::exception& e) {
    writer.rollback();
    failure = e.what();
  }
  finish_batch(batch, failure);
}

void RunStore::Impl::write_item(Item& item) {
  std::visit(
      [&](auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, StageItem>) writer.insert(p.run, p.reading);
        else if constexpr (std::is_same_v<T, EventItem>) writer.insert(p.run, p.event);
        else if constexpr (std::is_same_v<T, FrameItem>) writer.upsert(p.run, p.frame);
        else if constexpr (std::is_same_v<T, DmaItem>) writer.insert(p.run, p.point);
        else if constexpr (std::is_same_v<T, AnalysisItem>) writer.upsert(p.run, p.analysis);
        else if constexpr (std::is_same_v<T, ResultItem>) writer.insert_result(p.run, p.kind, p.name, p.json, p.utc_ns);
        else if constexpr (std::is_same_v<T, CheckpointItem>) writer.save_checkpoint(p.run, p.json, p.utc_ns);
        else if constexpr (std::is_same_v<T, BeginCommand>) p.id = writer.insert_run(p.start);
        else if constexpr (std::is_same_v<T, EndCommand>) p.found = writer.end_run(p.run, p.stop);
        else if constexpr (std::is_same_v<T, ResumeCommand>) p.refusal = writer.resume_run(p.run);
      },
      item.payload);
}

// Promises are kept only after COMMIT, so a caller never sees an id or a closed run that a
// rollback could still take back.
void RunStore::Impl::finish_batch(Batch& batch, const std::optional<std::string>& failure) {
  if (failure) {
    fail(*failure);
    salvage_after_failure(batch);
    return;
  }
  std::uint64_t records = 0;
  for (auto& item : batch) {
    if (auto* begin = std::get_if<BeginCommand>(&item.payload)) {
      begin->done.set_value(begin->id);
    } else if (auto* end = std::get_if<EndCommand>(&item.payload)) {
      if (end->found) end->done.set_value();
      else end->done.set_exception(std::make_exception_ptr(
               UsageError(fmt::format("end_run: no run {} in {}", end->run, db.path()))));
    } else if (auto* resume = std::get_if<ResumeCommand>(&item.payload)) {
      if (resume->refusal.empty()) resume->done.set_value();
      else resume->done.set_exception(std::make_exception_ptr(UsageError(resume->refusal)));
    } else {
      ++records;
    }
  }
  std::lock_guard lock(mutex);
  stats.records_committed += records;
  ++stats.batches_committed;
}

// After a write error the writer keeps nothing new except, as a best effort, the end of a run in a
// transaction of its own (an UPDATE of an existing row may still fit on a full disk). Records are
// dropped and counted; begin/resume fail with the writer's error.
void RunStore::Impl::salvage_after_failure(Batch& batch) {
  const std::string reason = error.value_or("writer stopped");
  std::uint64_t dropped = 0;
  for (auto& item : batch) {
    if (auto* begin = std::get_if<BeginCommand>(&item.payload)) {
      begin->done.set_exception(std::make_exception_ptr(StoreError("cannot begin a run: " + reason)));
    } else if (auto* resume = std::get_if<ResumeCommand>(&item.payload)) {
      resume->done.set_exception(std::make_exception_ptr(StoreError("cannot resume a run: " + reason)));
    } else if (auto* end = std::get_if<EndCommand>(&item.payload)) {
      try {
        writer.begin();
        writer.end_run(end->run, end->stop);
        writer.commit();
      } catch (const std::exception&) {
        writer.rollback();  // the run stays 'running' and is marked interrupted later
      }
      end->done.set_value();
    } else {
      ++dropped;
    }
  }
  std::lock_guard lock(mutex);
  stats.records_dropped += dropped;
}

void RunStore::Impl::fail(const std::string& reason) {
  std::function<void(const std::string&)> callback;
  {
    std::lock_guard lock(mutex);
    if (error) return;
    error = reason;
    callback = on_error;
  }
  failed.store(true);
  if (callback) {
    try {
      callback(reason);
    } catch (...) {
      // The callback belongs to the engine; its failure must not kill the writer thread.
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Public API

RunStore::RunStore(const std::string& db_path, StoreOptions options)
    : impl_(std::make_unique<Impl>(db_path, options)) {
  if (options.batch_max_rows < 1) throw UsageError("StoreOptions::batch_max_rows must be at least 1");
  impl_->thread = std::thread([impl = impl_.get()] { impl->run_writer(); });
}

RunStore::~RunStore() {
  try {
    {
      std::lock_guard lock(impl_->mutex);
      impl_->stopping = true;
      impl_->urgent = true;
    }
    impl_->wake_writer.notify_all();
    if (impl_->thread.joinable()) impl_->thread.join();
  } catch (...) {
    // Never throws (join only fails on a programming error).
  }
}

const std::string& RunStore::path() const noexcept { return impl_->db.path(); }

RunId RunStore::begin_run(const RunStart& start) {
  if (auto error = writer_error()) throw StoreError("cannot begin a run: " + *error);
  std::promise<RunId> promise;
  auto done = promise.get_future();
  impl_->push(BeginCommand{start, std::move(promise)});
  const RunId run = done.get();
  impl_->active_run.store(run);
  return run;
}

void RunStore::end_run(RunId run, const RunStop& stop) {
  std::promise<void> promise;
  auto done = promise.get_future();
  impl_->push(EndCommand{run, stop, std::move(promise)});
  done.get();
}

void RunStore::resume_run(RunId run) {
  if (auto error = writer_error()) throw StoreError("cannot resume a run: " + *error);
  std::promise<void> promise;
  auto done = promise.get_future();
  impl_->push(ResumeCommand{run, std::move(promise), {}});
  done.get();
  impl_->active_run.store(run);
}

void RunStore::record(const StageReading& reading) {
  impl_->push_record(StageItem{impl_->require_active_run("stage reading"), reading});
}

void RunStore::record(const Event& event) {
  impl_->push_record(EventItem{impl_->require_active_run("event"), event});
}

void RunStore::record(const FrameRecord& frame) {
  impl_->push_record(FrameItem{impl_->require_active_run("frame"), frame});
}

void RunStore::record(const DmaPoint& point) {
  impl_->push_record(DmaItem{impl_->require_active_run("DMA point"), point});
}

void RunStore::record_frame_analysis(const FrameAnalysis& analysis) {
  const RunId run = analysis.run_id != 0 ? analysis.run_id : impl_->require_active_run("frame analysis");
  FrameAnalysis stamped = analysis;
  stamped.run_id = run;
  if (stamped.analyzed_utc_ns == 0) stamped.analyzed_utc_ns = wall_utc_ns();
  impl_->push_record(AnalysisItem{run, std::move(stamped)});
}

void RunStore::record_analysis_result(RunId run, std::string kind, std::string name, std::string json) {
  impl_->push_record(ResultItem{run, std::move(kind), std::move(name), std::move(json), wall_utc_ns()});
}

void RunStore::save_checkpoint(RunId run, std::string checkpoint_json) {
  impl_->push_record(CheckpointItem{run, std::move(checkpoint_json), wall_utc_ns()});
}

void RunStore::flush() {
  std::unique_lock lock(impl_->mutex);
  const auto target = impl_->enqueued_seq;
  if (impl_->processed_seq >= target) return;
  impl_->urgent = true;
  impl_->wake_writer.notify_one();
  impl_->progress.wait(lock, [&] { return impl_->processed_seq >= target; });
}

std::optional<std::string> RunStore::writer_error() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->error;
}

void RunStore::set_on_writer_error(std::function<void(const std::string&)> callback) {
  std::lock_guard lock(impl_->mutex);
  impl_->on_error = std::move(callback);
}

RunId RunStore::active_run() const noexcept { return impl_->active_run.load(); }

StoreStats RunStore::stats() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->stats;
}

int RunStore::mark_interrupted_runs(const std::string& db_path) {
  if (!std::filesystem::exists(db_path)) throw StoreError(fmt::format("no database at {}", db_path));
  sqlite::Database db(db_path, sqlite::Database::Mode::read_write);
  db.exec("PRAGMA busy_timeout = 5000");
  schema::check_readable(db);
  return detail::mark_interrupted_runs(db);
}

}  // namespace glasslab::acquisition
