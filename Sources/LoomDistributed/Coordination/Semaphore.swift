import Foundation
import LoomCore
import Synchronization

/// At most `maxLeases` holders at once, across clients (Dask's `Semaphore`): `acquire` takes a
/// lease, `release` gives it back. A holder keeps its leases alive by refreshing them; one that
/// dies stops, and its leases go after `leaseTimeout`.
public final class Semaphore: Sendable {
    public let name: String
    public let maxLeases: Int
    private let calls: CoordinationCalls
    private let leaseTimeout: Duration
    /// The leases this object holds, newest last, and what refreshes them.
    private let held = Mutex<(leases: [String], refresher: Task<Void, Never>?)>(([], nil))

    public init(_ name: String, maxLeases: Int = 1, leaseTimeout: Duration = .seconds(30), client: Client) async throws {
        guard maxLeases >= 1 else { throw LoomError(.invalidArgument, "semaphore '\(name)': maxLeases is \(maxLeases), at least 1 is needed") }
        self.name = name
        self.maxLeases = maxLeases
        self.leaseTimeout = leaseTimeout
        calls = CoordinationCalls(client: client)
        _ = try await calls.call(.semaphoreCreate(name: name, maxLeases: maxLeases, leaseTimeout: leaseTimeout / .seconds(1)))
    }

    deinit { held.withLock { $0.refresher?.cancel() } }

    /// Takes a lease, waiting for one (at most `timeout`); whether it got one.
    @discardableResult
    public func acquire(timeout: Duration? = nil) async throws -> Bool {
        let lease = UUID().uuidString
        let acquired = try await calls.waiting(timeout: timeout) { wait -> Bool? in
            guard case .flag(true) = try await calls.call(.semaphoreAcquire(name: name, lease: lease, wait: wait)) else { return nil }
            return true
        } ?? false
        if acquired { hold(lease) }
        return acquired
    }

    /// Gives back the newest lease this object holds.
    public func release() async throws {
        guard let lease = held.withLock({ state -> String? in
            let lease = state.leases.popLast()
            if state.leases.isEmpty { state.refresher?.cancel(); state.refresher = nil }
            return lease
        }) else {
            throw LoomError(.invalidArgument, "semaphore '\(name)': release() without a lease held")
        }
        _ = try await calls.call(.semaphoreRelease(name: name, lease: lease))
    }

    /// Runs `body` holding a lease, given back however it ends.
    public func withLease<T: Sendable>(timeout: Duration? = nil, _ body: () async throws -> T) async throws -> T {
        guard try await acquire(timeout: timeout) else {
            throw LoomError(.timeout, "semaphore '\(name)' had no lease free within \(timeout ?? .zero)")
        }
        do {
            let result = try await body()
            try await release()
            return result
        } catch {
            try? await release()
            throw error
        }
    }

    private func hold(_ lease: String) {
        held.withLock { state in
            state.leases.append(lease)
            guard state.refresher == nil else { return }
            let (calls, name, every) = (calls, name, leaseTimeout / 4)
            state.refresher = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: every)
                    guard let leases = self?.held.withLock({ $0.leases }), !leases.isEmpty else { return }
                    _ = try? await calls.call(.semaphoreRefresh(name: name, leases: leases))
                }
            }
        }
    }
}

/// Mutual exclusion across clients (Dask's `Lock`): a semaphore of one lease.
public final class DistributedLock: Sendable {
    public let name: String
    private let semaphore: Semaphore

    public init(_ name: String, leaseTimeout: Duration = .seconds(30), client: Client) async throws {
        self.name = name
        semaphore = try await Semaphore("lock/\(name)", maxLeases: 1, leaseTimeout: leaseTimeout, client: client)
    }

    /// Takes the lock, waiting for it (at most `timeout`); whether it got it.
    @discardableResult
    public func acquire(timeout: Duration? = nil) async throws -> Bool { try await semaphore.acquire(timeout: timeout) }

    public func release() async throws { try await semaphore.release() }

    /// Runs `body` holding the lock, released however it ends.
    public func withLock<T: Sendable>(timeout: Duration? = nil, _ body: () async throws -> T) async throws -> T {
        try await semaphore.withLease(timeout: timeout, body)
    }
}
