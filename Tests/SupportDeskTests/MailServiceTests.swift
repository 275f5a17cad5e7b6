import Foundation
import InMemoryLogging
import Logging
import ServiceLifecycle
import ServiceLifecycleTestKit
import Synchronization
import Testing

@testable import MailTransport
@testable import SupportDesk

/// A clock whose sleeps return at once, each noted, so the waits between
/// passes can be read off without waiting for them.
final class RecordingClock: Clock {
  typealias Instant = ContinuousClock.Instant
  private let state: Mutex<(now: Instant, sleeps: [Duration])> = Mutex((ContinuousClock.now, []))

  var now: Instant { state.withLock { $0.now } }
  var minimumResolution: Duration { .zero }
  var sleeps: [Duration] { state.withLock { $0.sleeps } }

  func sleep(until deadline: Instant, tolerance: Duration?) async throws {
    try Task.checkCancellation()
    state.withLock { state in
      state.sleeps.append(deadline - state.now)
      state.now = deadline
    }
  }
}

/// Passes that fail or succeed as told, one entry per pass, then ask the
/// service to stop; they note whether a stop was requested while they ran.
final class ScriptedPasses: MailPasses {
  enum Outcome: Sendable {
    case succeed
    case failOnTheServer
    /// Asks for a graceful shutdown in the middle of the pass, then behaves like the engine.
    case stopHalfway
  }
  private let state: Mutex<(script: [Outcome], passes: Int, sawStop: Bool)>
  let stop: @Sendable () -> Void

  init(_ script: [Outcome], stop: @escaping @Sendable () -> Void) {
    state = Mutex((script, 0, false))
    self.stop = stop
  }

  var passes: Int { state.withLock { $0.passes } }
  var sawStop: Bool { state.withLock { $0.sawStop } }

  func runOnce(stopRequested: @Sendable () -> Bool) async throws -> PassSummary {
    let outcome = state.withLock { state -> Outcome? in
      state.passes += 1
      return state.script.isEmpty ? nil : state.script.removeFirst()
    }
    switch outcome {
    case nil:
      stop()
      return PassSummary()
    case .succeed:
      return PassSummary()
    case .failOnTheServer:
      throw IMAPError(
        reason: .connection(.cannotConnect), server: "imaps://mail.example.test:993", account: "pomoc@pwsk.pl",
        operation: "asking the status of INBOX", detail: "")
    case .stopHalfway:
      stop()
      if stopRequested() {
        state.withLock { $0.sawStop = true }
        throw CancellationError()
      }
      return PassSummary()
    }
  }
}

/// IMAP IDLE as told: a change at once, a server without IDLE, or a wait until cancelled.
final class ScriptedWatcher: MailboxWatcher {
  enum Behaviour: Sendable { case reportsChange, refuses, waitsForever }
  let behaviour: Behaviour
  private let state = Mutex((calls: 0, closed: false))

  init(_ behaviour: Behaviour) { self.behaviour = behaviour }

  var calls: Int { state.withLock { $0.calls } }
  var closed: Bool { state.withLock { $0.closed } }

  func waitForChange(timeout: Duration) async throws(IMAPError) -> Bool {
    state.withLock { $0.calls += 1 }
    switch behaviour {
    case .reportsChange: return true
    case .refuses:
      throw IMAPError(
        reason: .commandRefused, server: "imaps://mail.example.test:993", account: "pomoc@pwsk.pl",
        operation: "starting IDLE", detail: "BAD unknown command")
    case .waitsForever:
      // Returns when the task is cancelled (as IMAPIdler does), as if the timeout had passed.
      while true {
        do {
          try await Task.sleep(for: .milliseconds(10))
        } catch {
          return false
        }
      }
    }
  }

  func close() async { state.withLock { $0.closed = true } }
}

@Suite("The service: passes, waits and backoff, graceful shutdown")
struct MailServiceTests {
  @Test(
    "the wait after failed passes doubles up to 16 intervals, give or take a fifth",
    arguments: [(0, 1.0, 60.0), (1, 1.0, 120), (2, 1.2, 288), (3, 0.8, 384), (4, 1.0, 960), (9, 1.0, 960)])
  func backoff(failures: Int, factor: Double, seconds: Double) {
    let backoff = Backoff(pollSeconds: 60) { range in
      #expect(range == 0.8...1.2)
      return factor
    }
    #expect(backoff.wait(afterFailures: failures) == .seconds(seconds))
  }

  @Test("failed passes are tried again after a growing wait; a good pass brings the interval back")
  func retries() async throws {
    let clock = RecordingClock()
    let log = InMemoryLogHandler()
    try await testGracefulShutdown { trigger in
      let passes = ScriptedPasses(
        [.failOnTheServer, .failOnTheServer, .failOnTheServer, .failOnTheServer, .failOnTheServer, .succeed]
      ) { trigger.triggerGracefulShutdown() }
      let service = MailService(
        passes: passes, watcher: ScriptedWatcher(.reportsChange), useIdle: false,
        backoff: Backoff(pollSeconds: 60) { _ in 1.1 }, clock: clock, logger: Logger(label: "test") { _ in log })
      try await service.run()
      #expect(passes.passes == 7)
    }
    let expected: [Double] = [132, 264, 528, 1056, 1056, 60]
    #expect(clock.sleeps.prefix(6).map { $0 } == expected.map { Duration.seconds($0) })
    #expect(log.entries.filter { $0.level == .error }.count == 5)
    #expect(log.entries.contains { "\($0.message)".contains("pass failed, will try again") })
  }

  @Test("with IDLE, a pass follows each change without sleeping; a server without IDLE is polled instead")
  func idle() async throws {
    let clock = RecordingClock()
    let watcher = ScriptedWatcher(.reportsChange)
    try await testGracefulShutdown { trigger in
      let passes = ScriptedPasses([.succeed, .succeed]) { trigger.triggerGracefulShutdown() }
      let service = MailService(
        passes: passes, watcher: watcher, useIdle: true, backoff: Backoff(pollSeconds: 60), clock: clock,
        logger: Logger(label: "test") { _ in InMemoryLogHandler() })
      try await service.run()
    }
    // Two passes and the one that asked to stop, each followed by a wait (the last one cut short,
    // perhaps before it began).
    #expect((2...3).contains(watcher.calls))
    #expect(clock.sleeps.isEmpty)
    #expect(watcher.closed)

    let refusing = ScriptedWatcher(.refuses)
    let polled = RecordingClock()
    try await testGracefulShutdown { trigger in
      let passes = ScriptedPasses([.succeed, .succeed, .succeed]) { trigger.triggerGracefulShutdown() }
      let service = MailService(
        passes: passes, watcher: refusing, useIdle: true, backoff: Backoff(pollSeconds: 60), clock: polled,
        logger: Logger(label: "test") { _ in InMemoryLogHandler() })
      try await service.run()
    }
    #expect(refusing.calls == 1)
    #expect((3...4).contains(polled.sleeps.count))
    #expect(polled.sleeps.allSatisfy { $0 == .seconds(60) })
  }

  @Test("a graceful shutdown during a pass lets it finish the mail in hand, then the service ends without error")
  func shutdownDuringPass() async throws {
    let watcher = ScriptedWatcher(.reportsChange)
    let log = InMemoryLogHandler()
    try await testGracefulShutdown { trigger in
      let passes = ScriptedPasses([.succeed, .stopHalfway, .succeed]) { trigger.triggerGracefulShutdown() }
      let service = MailService(
        passes: passes, watcher: watcher, useIdle: true, backoff: Backoff(pollSeconds: 60), clock: RecordingClock(),
        logger: Logger(label: "test") { _ in log })
      try await service.run()
      #expect(passes.passes == 2)
      #expect(passes.sawStop)
    }
    #expect(watcher.closed)
    #expect(log.entries.contains { "\($0.message)".contains("stopping: the mail in hand is finished first") })
  }

  @Test("a graceful shutdown cuts the wait for new mail short")
  func shutdownDuringWait() async throws {
    let watcher = ScriptedWatcher(.waitsForever)
    try await testGracefulShutdown { trigger in
      let passes = ScriptedPasses([.succeed, .succeed]) { trigger.triggerGracefulShutdown() }
      let service = MailService(
        passes: passes, watcher: watcher, useIdle: true, backoff: Backoff(pollSeconds: 3600), clock: RecordingClock(),
        logger: Logger(label: "test") { _ in InMemoryLogHandler() })
      try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await service.run() }
        while watcher.calls == 0 { try await Task.sleep(for: .milliseconds(5)) }
        let started = ContinuousClock.now
        trigger.triggerGracefulShutdown()
        try await group.waitForAll()
        #expect(ContinuousClock.now - started < .seconds(5))
      }
      #expect(passes.passes == 1)
    }
    #expect(watcher.closed)
  }
}

@Suite("The service as a standby while another instance works with the state")
struct StandbyTests {
  /// Who holds the lock, per question: a name while another instance does, nil once this one may work.
  final class ScriptedLock: Sendable {
    private let answers: Mutex<[String?]>
    init(_ answers: [String?]) { self.answers = Mutex(answers) }
    func becomeActive() -> String? { answers.withLock { $0.isEmpty ? nil : $0.removeFirst() } }
    var asked: Int { answers.withLock { 3 - $0.count } }
  }

  @Test("a standby waits, says once who works, and takes over when the other instance stops")
  func takesOver() async throws {
    let log = InMemoryLogHandler()
    let lock = ScriptedLock(["pid 4711 on host-a", "pid 4711 on host-a"])
    let clock = RecordingClock()
    try await testGracefulShutdown { trigger in
      let passes = ScriptedPasses([.succeed]) { trigger.triggerGracefulShutdown() }
      let service = MailService(
        passes: passes, watcher: ScriptedWatcher(.reportsChange), useIdle: true, backoff: Backoff(pollSeconds: 60),
        clock: clock, logger: Logger(label: "test") { _ in log }, becomeActive: { lock.becomeActive() },
        standbyInterval: .seconds(5))
      try await service.run()
      #expect(passes.passes == 2, "passes run only after the takeover")
    }
    #expect(Array(clock.sleeps.prefix(2)) == [.seconds(5), .seconds(5)])
    let messages = log.entries.map { "\($0.message)" }
    #expect(messages.filter { $0.contains("standby: pid 4711 on host-a works with this state database") }.count == 1)
    #expect(messages.contains("taking over: the other instance stopped"))
  }

  @Test("a shutdown while on standby ends the service without a single pass")
  func shutdownOnStandby() async throws {
    try await testGracefulShutdown { trigger in
      let passes = ScriptedPasses([.succeed]) { trigger.triggerGracefulShutdown() }
      let service = MailService(
        passes: passes, watcher: ScriptedWatcher(.reportsChange), useIdle: true, backoff: Backoff(pollSeconds: 60),
        clock: ContinuousClock(), logger: Logger(label: "test") { _ in InMemoryLogHandler() },
        becomeActive: { "pid 1 on host-b" }, standbyInterval: .seconds(3600))
      try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await service.run() }
        try await Task.sleep(for: .milliseconds(50))
        trigger.triggerGracefulShutdown()
        try await group.waitForAll()
      }
      #expect(passes.passes == 0)
    }
  }
}
