// CancelWatch: notices `tenure cancel` for every run this process executes, with one store query
// per poll interval, however many runs there are (10,000 waiting runs used to mean 10,000 reads of
// a run and its snapshot every second, and a timer and a coroutine per run).
//
// Design: runs register while they execute; the first registration starts the watcher coroutine,
// and Leave() by the last run stops it and waits for it to end, so nothing outlives the runs.
// Every `poll`, one StateStore::CancelRequests(owner) query; each registered run it names gets
// its callback once. A failed query is retried at the next poll (cancellation is a request, not a
// durability matter: the store keeps it until a process acts on it).
// Threading: engine executor only. The store, clock and callbacks must outlive the registrations.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <string>

#include "engine/clock.h"
#include "engine/limits.h"
#include "engine/state_store.h"

namespace tenure::engine {

class CancelWatch {
 public:
  CancelWatch(boost::asio::any_io_executor io, Clock& clock, StateStore& store, std::string owner,
              std::chrono::milliseconds poll);
  CancelWatch(const CancelWatch&) = delete;
  CancelWatch& operator=(const CancelWatch&) = delete;

  // Calls `on_cancel` (once) when a cancellation of `run_id` is requested while it is registered.
  void Join(const std::string& run_id, std::function<void()> on_cancel);
  // Unregisters `run_id`; the last run to leave waits until the watcher coroutine has ended.
  boost::asio::awaitable<void> Leave(const std::string& run_id);

 private:
  boost::asio::awaitable<void> Watch();

  boost::asio::any_io_executor io_;
  Clock& clock_;
  StateStore& store_;
  const std::string owner_;
  const std::chrono::milliseconds poll_;
  std::map<std::string, std::function<void()>> runs_;
  bool watching_ = false;
  WaitQueue wake_;  // Leave by the last run wakes the watcher early
  WaitQueue idle_;  // the watcher went round its loop (or ended): a waiting Leave looks again
};

}  // namespace tenure::engine
