#pragma once
// A scripted ByteTransport for LinkamDevice tests: every write must match the next expected
// command; its reaction (reply, silence, late reply, hang-up) decides what the following reads
// see. Reads never wait: no complete line in the input means an immediate TimeoutError, so the
// tests are fast and timing-free. Also a "responder" mode that answers like a quiet controller,
// for the thread-safety test. Thread-safe itself.
#include <deque>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "drivers/transport/byte_transport.hpp"

namespace glasslab::linkam::testing {

/// Builds a 'T' reply (without CR): SB1, EB1, PB1, GS1, two unused 0x80 bytes, four hex digits.
inline std::string t_reply(unsigned sb1, unsigned eb1, unsigned pb1, const std::string& hex4) {
  std::string reply;
  for (unsigned byte : {sb1, eb1, pb1, 0x80u, 0x80u, 0x80u}) reply += static_cast<char>(byte);
  return reply + hex4;
}

struct Reaction {
  enum class Kind { reply, silence, late, hang_up } kind = Kind::reply;
  std::string bytes;  // for reply / late: what the controller sends (CR included by the script)
};
inline Reaction reply(const std::string& line) { return {Reaction::Kind::reply, line + "\r"}; }
inline Reaction ack() { return reply(""); }
inline Reaction garbage(const std::string& bytes) { return {Reaction::Kind::reply, bytes}; }
inline Reaction silence() { return {Reaction::Kind::silence, {}}; }
/// The reply arrives only after the next read has timed out (a slow controller).
inline Reaction late(const std::string& line) { return {Reaction::Kind::late, line + "\r"}; }
inline Reaction hang_up() { return {Reaction::Kind::hang_up, {}}; }

class ScriptedTransport final : public transport::ByteTransport {
public:
  /// Everything the device did, in order: "open", "open failed", "close", "flush", and each
  /// write without its CR ("T", "R11000", ...).
  std::vector<std::string> log;
  bool responder_mode = false;  ///< answer T with a fixed status and everything else with a CR
  std::string responder_status = t_reply(0x10, 0x80, 0x80, "00FA");
  int open_failures_left = 0;

  void expect(const std::string& command, Reaction reaction) {
    std::lock_guard lock(mutex_);
    script_.push_back({command, std::move(reaction)});
  }
  bool script_done() const {
    std::lock_guard lock(mutex_);
    return script_.empty();
  }
  std::vector<std::string> writes() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& entry : log)
      if (entry != "open" && entry != "open failed" && entry != "close" && entry != "flush") out.push_back(entry);
    return out;
  }

  void open() override {
    std::lock_guard lock(mutex_);
    if (open_failures_left > 0) {
      --open_failures_left;
      log.push_back("open failed");
      throw DeviceError("fake:linkam: cannot open (scripted)");
    }
    log.push_back("open");
    open_ = true;
  }
  void close() noexcept override {
    std::lock_guard lock(mutex_);
    log.push_back("close");
    open_ = false;
    input_.clear();
  }
  bool is_open() const override {
    std::lock_guard lock(mutex_);
    return open_;
  }
  std::string description() const override { return "fake:linkam"; }

  void write(std::string_view bytes, std::chrono::milliseconds) override {
    std::lock_guard lock(mutex_);
    if (!open_) throw transport::DisconnectedError("fake:linkam: write on a closed line");
    std::string command(bytes);
    if (command.empty() || command.back() != '\r') throw std::logic_error("command without CR: " + command);
    command.pop_back();
    log.push_back(command);
    if (responder_mode) {
      input_ += (command == "T" ? responder_status : std::string()) + "\r";
      return;
    }
    if (script_.empty()) throw std::logic_error("unexpected write after the script ended: " + command);
    auto [expected, reaction] = script_.front();
    script_.pop_front();
    if (expected != command) throw std::logic_error("expected write " + expected + ", got " + command);
    switch (reaction.kind) {
      case Reaction::Kind::reply: input_ += reaction.bytes; break;
      case Reaction::Kind::silence: break;
      case Reaction::Kind::late: late_ += reaction.bytes; break;
      case Reaction::Kind::hang_up: hung_up_ = true; break;
    }
  }

  std::string read_until(char terminator, std::chrono::milliseconds) override {
    std::lock_guard lock(mutex_);
    if (hung_up_) {
      hung_up_ = false;
      open_ = false;  // as SerialPort does on a hang-up
      throw transport::DisconnectedError("fake:linkam: far end hung up");
    }
    if (!open_) throw transport::DisconnectedError("fake:linkam: read on a closed line");
    const auto end = input_.find(terminator);
    if (end == std::string::npos) {
      std::string partial = std::move(input_);
      input_ = std::move(late_);  // what was late arrives now
      late_.clear();
      throw transport::TimeoutError("fake:linkam: timeout", partial);
    }
    std::string line = input_.substr(0, end);
    input_.erase(0, end + 1);
    return line;
  }

  void flush() override {
    std::lock_guard lock(mutex_);
    log.push_back("flush");
    input_.clear();
  }

private:
  mutable std::mutex mutex_;
  bool open_ = false;
  bool hung_up_ = false;
  std::string input_;
  std::string late_;
  std::deque<std::pair<std::string, Reaction>> script_;
};

}  // namespace glasslab::linkam::testing
