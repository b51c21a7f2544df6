#pragma once
// What every connection of the dashboard server shares. Threads: one network thread runs the
// io_context (all socket handlers, so sessions need no strands); database work goes to a small
// pool of workers, each with its own read-only connection (RunQueries is not thread-safe), and
// control requests, which wait for the run's verdict, to a pool of their own so that they never
// hold up the live charts.
#include <chrono>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include "dashboard/api/run_queries.hpp"

namespace glasslab::dashboard {

struct ServerContext {
  std::string db_path;
  boost::asio::io_context& network;
  boost::asio::thread_pool& readers;
  boost::asio::thread_pool& controllers;
  std::chrono::milliseconds live_interval{100};
  /// Host headers accepted (empty: any). A loopback server accepts only its own names, so a web
  /// page elsewhere cannot read it through DNS rebinding.
  std::vector<std::string> allowed_hosts;
};

/// The calling worker thread's read-only connection to `db_path` (opened on first use).
RunQueries& queries_for(const std::string& db_path);

}  // namespace glasslab::dashboard
