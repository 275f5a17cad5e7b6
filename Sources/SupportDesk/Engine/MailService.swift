import Foundation
import Logging
import MailTransport
import ServiceLifecycle

/// Something that runs passes over the mailbox: the engine, or a stand-in in tests.
public protocol MailPasses: Sendable {
  /// One pass; ends with `CancellationError` after the mail in hand once `stopRequested` says yes.
  func runOnce(stopRequested: @Sendable () -> Bool) async throws -> PassSummary
}

extension Engine: MailPasses {}

/// Something that waits for news in the mailbox: IMAP IDLE, or a stand-in in tests.
public protocol MailboxWatcher: Sendable {
  /// Waits up to `timeout` for the mailbox to change; true when it did.
  func waitForChange(timeout: Duration) async throws(IMAPError) -> Bool
  func close() async
}

extension IMAPIdler: MailboxWatcher {}

/// How long the service waits before its next pass: the poll interval; after
/// failed passes longer (doubled per failure, up to 16 intervals), give or
/// take a fifth, so that bots restarted together by one server outage do not
/// all come back in the same second.
public struct Backoff: Sendable {
  public var pollSeconds: Int
  /// A number from the range given, at random (injected for tests).
  public var random: @Sendable (ClosedRange<Double>) -> Double

  public init(
    pollSeconds: Int, random: @escaping @Sendable (ClosedRange<Double>) -> Double = { Double.random(in: $0) }
  ) {
    self.pollSeconds = pollSeconds
    self.random = random
  }

  /// The wait after `failures` failed passes in a row (0: the last pass worked).
  public func wait(afterFailures failures: Int) -> Duration {
    let backoff = Double(pollSeconds * (1 << min(failures, 4)))
    return .seconds(failures == 0 ? backoff : backoff * random(0.8...1.2))
  }
}

/// `supportbot run` as a swift-service-lifecycle service: passes, and between
/// them a wait for new mail (IMAP IDLE, or the poll interval). A graceful
/// shutdown is looked at after every mail (the engine finishes the one in
/// hand) and cuts a wait short. A pass that fails on the server is logged and
/// tried again after the backoff; any other failure ends the service.
public struct MailService: Service {
  let passes: any MailPasses
  let watcher: any MailboxWatcher
  let useIdle: Bool
  let backoff: Backoff
  let clock: any Clock<Duration>
  let logger: Logger
  /// Tries to become the one instance that works the mailbox: nil when it
  /// is (now), else who is (see `InstanceLock`). Until then the service
  /// waits as a standby, asking again every `standbyInterval`.
  var becomeActive: (@Sendable () throws -> String?)?
  var standbyInterval: Duration = .seconds(5)

  /// - Parameters:
  ///   - useIdle: wait with `watcher` (else only the poll interval).
  ///   - clock: what the waits between passes sleep on.
  ///   - becomeActive: nil when this instance may work the mailbox now, else who does; asked before the first pass.
  public init(
    passes: any MailPasses, watcher: any MailboxWatcher, useIdle: Bool, backoff: Backoff,
    clock: any Clock<Duration> = ContinuousClock(), logger: Logger,
    becomeActive: (@Sendable () throws -> String?)? = nil, standbyInterval: Duration = .seconds(5)
  ) {
    self.passes = passes
    self.watcher = watcher
    self.useIdle = useIdle
    self.backoff = backoff
    self.clock = clock
    self.logger = logger
    self.becomeActive = becomeActive
    self.standbyInterval = standbyInterval
  }

  /// The service of `engine`, waiting with `idler` as the settings say.
  public init(
    engine: Engine, idler: IMAPIdler, settings: Settings, logger: Logger,
    becomeActive: (@Sendable () throws -> String?)? = nil
  ) {
    self.init(
      passes: engine, watcher: idler, useIdle: settings.useIdle, backoff: Backoff(pollSeconds: settings.pollSeconds),
      logger: logger, becomeActive: becomeActive)
  }

  public func run() async throws {
    let logger = logger
    try await withGracefulShutdownHandler {
      try await serve()
    } onGracefulShutdown: {
      logger.notice("stopping: the mail in hand is finished first")
    }
    await watcher.close()
  }

  /// Waits until this instance may work the mailbox; false when a shutdown came first.
  private func waitUntilActive() async throws -> Bool {
    guard let becomeActive else { return true }
    var waited = false
    while let holder = try becomeActive() {
      if !waited {
        logger.notice("standby: \(holder) works with this state database; this instance takes over when it stops")
        waited = true
      }
      do {
        try await cancelWhenGracefulShutdown { [clock, standbyInterval] in try await clock.sleep(for: standbyInterval) }
      } catch is CancellationError {
        return false
      }
      if Task.isShuttingDownGracefully { return false }
    }
    if waited { logger.notice("taking over: the other instance stopped") }
    return true
  }

  private func serve() async throws {
    guard try await waitUntilActive() else { return }
    var useIdle = useIdle
    var failures = 0
    while !Task.isShuttingDownGracefully {
      do {
        let summary = try await passes.runOnce(stopRequested: { Task.isShuttingDownGracefully })
        logger.info("pass done: \(summary)")
        failures = 0
      } catch is CancellationError {
        return
      } catch let error as IMAPError {
        failures += 1
        logger.error("pass failed, will try again: \(error)")
      }
      let wait = backoff.wait(afterFailures: failures)
      do {
        useIdle = try await cancelWhenGracefulShutdown { [useIdle, failures, watcher, clock, logger, backoff] in
          var keepIdling = useIdle
          if useIdle, failures == 0 {
            do {
              _ = try await watcher.waitForChange(timeout: wait)
              return true
            } catch let error as IMAPError {
              if error.reason == .commandRefused {
                logger.notice("the server has no IDLE: polling every \(backoff.pollSeconds) s")
                keepIdling = false
              } else {
                logger.warning("IDLE failed, polling until the next pass: \(error)")
              }
            }
          }
          try await clock.sleep(for: wait)
          return keepIdling
        }
      } catch is CancellationError {
        return
      }
    }
  }
}
