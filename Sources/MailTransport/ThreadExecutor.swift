import Dispatch
import Foundation
import Synchronization

/// A serial executor that runs every job on one dedicated OS thread.
///
/// libcurl's `curl_easy_perform` blocks until the whole transfer is done. Run
/// inside Swift's cooperative pool it would pin one of its few threads (two on
/// our CI machine) for seconds. The IMAP and SMTP clients are actors whose
/// executor is one of these, so everything they do — including the blocking
/// calls — happens on their own thread, while the handle stays plain
/// actor-isolated state that the compiler can check.
final class ThreadExecutor: SerialExecutor {
  private let queue = JobQueue()

  init(name: String) {
    let queue = self.queue
    let executor = self.asUnownedSerialExecutor()
    let thread = Thread {
      while let job = queue.next() {
        job.runSynchronously(on: executor)
      }
    }
    thread.name = name
    thread.start()
  }

  deinit {
    queue.close()
  }

  func enqueue(_ job: consuming ExecutorJob) {
    queue.push(UnownedJob(job))
  }
}

/// The jobs waiting for a `ThreadExecutor`'s thread.
private final class JobQueue: Sendable {
  private struct State {
    var jobs: [UnownedJob] = []
    var head = 0
    var closed = false
  }

  private let state = Mutex(State())
  private let available = DispatchSemaphore(value: 0)

  func push(_ job: UnownedJob) {
    state.withLock { $0.jobs.append(job) }
    available.signal()
  }

  func close() {
    state.withLock { $0.closed = true }
    available.signal()
  }

  /// Blocks until a job is there; nil once the queue is closed and drained.
  func next() -> UnownedJob? {
    while true {
      available.wait()
      let job: UnownedJob?? = state.withLock { state in
        if state.head < state.jobs.count {
          let job = state.jobs[state.head]
          state.head += 1
          if state.head > 64, state.head * 2 > state.jobs.count {
            state.jobs.removeFirst(state.head)
            state.head = 0
          }
          return .some(job)
        }
        return state.closed ? .some(nil) : nil
      }
      if let job { return job }
    }
  }
}
