import Foundation
import LoomCore
import LoomDistributed

/// A scheduler a cloud cluster did not start in this program: in a task or instance of its own,
/// or one already running.
public enum CloudScheduler {
    /// A client of the scheduler at `address` (through `resolver`, asked again at each try: a
    /// tunnel may come up late), trying again until it answers or `deadline`.
    public static func connect(to address: Address, through resolver: (@Sendable (Address) -> Address)?, security: Security?,
                               deadline: ContinuousClock.Instant) async throws -> Client {
        while true {
            do {
                return try await Client(address: (resolver?(address) ?? address).description, security: security, setAsDefault: false)
            } catch {
                guard ContinuousClock.now < deadline else {
                    throw LoomError(.configuration, "the scheduler at \(address) did not answer: \(error)")
                }
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    /// A cluster of `launcher`'s workers around the scheduler at `address`, scaled through the
    /// client it returns too (to close with the cluster).
    static func cluster(name: String, launcher: any WorkerLauncher, at address: Address, through resolver: (@Sendable (Address) -> Address)?,
                        security: Security?, startTimeout: Duration) async throws -> (SpecCluster, Client) {
        let client = try await connect(to: address, through: resolver, security: security, deadline: ContinuousClock.now + startTimeout)
        return (SpecCluster(name: name, launcher: launcher, running: RemoteScheduler(client: client), at: address, startTimeout: startTimeout), client)
    }
}
