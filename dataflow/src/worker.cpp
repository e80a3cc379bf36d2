#include "worker.hpp"

#include "block_store.hpp"
#include "protocol.hpp"

#include <constellation/channel.hpp>
#include <constellation/dataflow/node.hpp>
#include <constellation/supervision.hpp>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <malloc.h>

#include <algorithm>
#include <climits>
#include <map>
#include <memory>
#include <thread>
#include <vector>

namespace constellation::dataflow::detail {

namespace {

class worker final : public task_context {
 public:
  worker(pid driver, std::uint32_t slot, std::uint64_t budget)
      : to_driver_(driver), from_driver_(driver), slot_(slot), budget_(budget) {
    io_thread_ = std::thread([this] { io_.run(); });
  }

  // Stops receiving. The worker itself stays until the process exits (see worker_main).
  void stop_receiving() {
    work_.reset();
    io_.stop();
    io_thread_.join();
  }

  void run() {
    for (;;) {
      command c;
      try {
        c = from_driver_.recv();
      } catch (const channel_error&) {
        return;  // the driver is gone: nothing is left to do for it
      }
      switch (c.what) {
        case command::kind::peers:
          meet(c.peers);
          break;
        case command::kind::task:
          run_task(c);
          break;
        case command::kind::flush:
          flush(c);
          break;
        case command::kind::drop:
          drop(c.dropped);
          break;
        case command::kind::stop:
          return;
      }
    }
  }

  // task_context
  bool stop_requested() const override { return stop_; }
  void request_stop() override { stop_ = true; }
  std::size_t workers() const override { return workers_; }
  std::size_t memory_budget() const override { return budget_; }

  void push_block(std::uint64_t shuffle, std::uint32_t attempt, std::uint32_t partition,
                  std::string&& bytes) override {
    shuffle_bytes_ += bytes.size();
    const auto owner = partition % workers_;
    if (owner == slot_) {
      store_->add(shuffle, attempt, partition, std::move(bytes));
      return;
    }
    to_peer_[owner]->send(block{shuffle, attempt, partition, slot_, false, std::move(bytes)});
  }

  void read_blocks(std::uint64_t shuffle, std::uint32_t partition, std::uint32_t attempt,
                   std::optional<std::uint8_t> side,
                   function_ref<void(std::string_view)> visit) override {
    // Blocks go to the partition's owner only: anywhere else the partition would look empty.
    if (partition % workers_ != slot_)
      throw std::logic_error("dataflow: partition " + std::to_string(partition) + " of shuffle " +
                             std::to_string(shuffle) + " read by worker " + std::to_string(slot_) +
                             ", not by its owner " + std::to_string(partition % workers_));
    // A reader that waits for writers asks now and then whether the driver still lives: a driver
    // that died sends no more flushes, and its workers must not wait for them forever.
    store_->read(
        shuffle, partition, attempt, side, [&](std::string_view b) { visit(b); },
        [this] {
          const auto s = status(to_driver_.remote());
          return s == process_status::exited || s == process_status::died;
        });
  }

  std::size_t block_bytes(std::uint64_t shuffle, std::uint32_t partition,
                          std::uint32_t attempt) override {
    return store_->bytes_of(shuffle, partition, attempt);
  }

  std::shared_ptr<const void> cached(std::uint64_t cache, std::uint32_t partition) override {
    auto found = caches_.find({cache, partition});
    return found == caches_.end() ? nullptr : found->second;
  }
  void keep_cached(std::uint64_t cache, std::uint32_t partition, std::shared_ptr<const void> data,
                   std::size_t) override {
    caches_[{cache, partition}] = std::move(data);
    kept_.emplace_back(cache, partition);
  }

  void emit_result(std::string_view bytes) override {
    if (bytes.empty()) return;
    report r;
    r.what = report::kind::result_part;
    r.task_id = task_id_;
    r.bytes.assign(bytes);
    to_driver_.send(r);
  }
  void count_records_in(std::size_t n) override { records_in_ += n; }
  void count_spilled(std::size_t bytes) override { spilled_ += bytes; }

 private:
  // The first peers command tells how many workers the job has; later ones replace lost peers.
  void meet(const std::vector<pid>& peers) {
    if (!store_) {
      workers_ = static_cast<std::uint32_t>(peers.size());
      // Received blocks beyond a quarter of the memory budget wait on disk.
      store_ = std::make_unique<block_store>(workers_, budget_ / 4);
      to_peer_.resize(workers_);
      from_peer_.resize(workers_);
    }
    for (std::uint32_t s = 0; s < peers.size() && s < workers_; ++s) {
      if (s == slot_ || (to_peer_[s] && to_peer_[s]->remote() == peers[s])) continue;
      to_peer_[s] = std::make_unique<sender<block>>(peers[s]);
      boost::asio::post(io_, [this, s, p = peers[s]] {
        if (from_peer_[s]) retired_.push_back(std::move(from_peer_[s]));
        from_peer_[s] = std::make_unique<receiver<block>>(p);
        store_->writer_replaced(s);
        receive(s);
      });
    }
  }

  // On the receiving thread: one outstanding receive per peer.
  void receive(std::uint32_t s) {
    receiver<block>* from = from_peer_[s].get();
    from->async_recv(
        boost::asio::bind_executor(io_, [this, s, from](boost::system::error_code ec, block b) {
          if (from_peer_[s].get() != from) return;  // a replaced peer's last word
          if (ec) {
            store_->writer_lost(s);
            return;
          }
          if (b.end)
            store_->end(b.shuffle, b.attempt, b.from_slot);
          else
            store_->add(b.shuffle, b.attempt, b.partition, std::move(b.bytes));
          receive(s);
        }));
  }

  void run_task(const command& c) {
    task_id_ = c.task_id;
    stop_ = false;
    kept_.clear();
    records_in_ = shuffle_bytes_ = spilled_ = 0;
    const auto store_spilled = store_ ? store_->spilled_bytes() : 0;
    report r;
    r.task_id = c.task_id;
    try {
      reader in(c.bytes);
      auto entry = resolve_entry<task_entry>(decode<code_ref>(in));
      entry(*this, in, c.partition);
      r.what = report::kind::done;
      r.kept = kept_;
    } catch (const std::exception& e) {
      for (const auto& k : kept_) caches_.erase(k);  // the driver will not know of them
      r.what = report::kind::failed;
      r.error = e.what();
    } catch (...) {
      r.what = report::kind::failed;
      r.error = "an exception that is not a std::exception";
    }
    r.records_in = records_in_;
    r.shuffle_bytes = shuffle_bytes_;
    r.spill_bytes = spilled_ + (store_ ? store_->spilled_bytes() - store_spilled : 0);
    to_driver_.send(r);
  }

  void flush(const command& c) {
    for (std::uint32_t s = 0; s < workers_; ++s) {
      if (s == slot_) {
        store_->end(c.shuffle, c.attempt, slot_);
        continue;
      }
      try {
        to_peer_[s]->send(block{c.shuffle, c.attempt, 0, slot_, true, {}});
      } catch (const channel_error&) {
        // A dead peer: the driver replaces it and reruns what it lost.
      }
    }
    report r;
    r.what = report::kind::flushed;
    r.task_id = c.task_id;
    to_driver_.send(r);
  }

  void drop(const std::vector<std::uint64_t>& ids) {
    for (auto id : ids) {
      if (store_) store_->drop(id);
      for (auto it = caches_.lower_bound({id, 0}); it != caches_.end() && it->first.first == id;)
        it = caches_.erase(it);
    }
  }

  sender<report> to_driver_;
  receiver<command> from_driver_;
  const std::uint32_t slot_;
  const std::uint64_t budget_;
  std::uint32_t workers_ = 0;
  std::unique_ptr<block_store> store_;
  std::vector<std::unique_ptr<sender<block>>> to_peer_;      // main thread only
  std::vector<std::unique_ptr<receiver<block>>> from_peer_;  // receiving thread only
  std::vector<std::unique_ptr<receiver<block>>>
      retired_;  // replaced peers, whose receive may still be pending
  std::map<std::pair<std::uint64_t, std::uint32_t>, std::shared_ptr<const void>> caches_;

  std::uint64_t task_id_ = 0;
  bool stop_ = false;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> kept_;
  std::uint64_t records_in_ = 0, shuffle_bytes_ = 0, spilled_ = 0;

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  std::thread io_thread_;
};

// A worker's tasks build tables, vectors and blocks afresh, task after task, and the first touch of
// a fresh page costs a fault: several microseconds in a virtual machine, more than the work done on
// the page. So a worker keeps what it frees for its next tasks, large vectors too (the runtime
// already keeps buffers below 32 MiB in the heap): its footprint stays at its high-water mark,
// which its budget allows anyway. Beyond half the budget of free space, the heap shrinks again.
void keep_freed_memory(std::uint64_t budget) {
  ::mallopt(M_MMAP_MAX, 0);
  ::mallopt(M_TRIM_THRESHOLD, static_cast<int>(std::min<std::uint64_t>(budget / 2, INT_MAX)));
}

}  // namespace

void worker_main(pid driver, std::uint32_t slot, std::uint64_t budget) {
  keep_freed_memory(budget);
  // Never destroyed: when the worker's function returns the process exits, and the channel runtime
  // may still complete a receive from a peer into its io_context while it delivers the last
  // messages. A static pointer keeps it reachable for leak checkers.
  static worker* self = nullptr;
  self = new worker(driver, slot, budget);
  self->run();
  self->stop_receiving();
}

}  // namespace constellation::dataflow::detail
