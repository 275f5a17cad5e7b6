import Foundation
import Testing

@testable import SupportDesk

@Suite("One bot per state database")
struct InstanceLockTests {
  @Test("the first takes the lock, the second learns who holds it, and the lock is free again once released")
  func exclusive() throws {
    let state = FileManager.default.temporaryDirectory.appendingPathComponent("lock-\(UUID().uuidString)/state.sqlite")
      .path
    var first: InstanceLock? = nil
    if case .acquired(let lock) = try InstanceLock.acquire(beside: state) { first = lock }
    #expect(first != nil)
    guard case .heldBy(let holder) = try InstanceLock.acquire(beside: state) else {
      Issue.record("a second instance got the lock")
      return
    }
    #expect(holder == "pid \(getpid()) on \(ProcessInfo.processInfo.hostName)")
    first = nil
    guard case .acquired = try InstanceLock.acquire(beside: state) else {
      Issue.record("the lock stayed taken after its holder let go")
      return
    }
  }
}
