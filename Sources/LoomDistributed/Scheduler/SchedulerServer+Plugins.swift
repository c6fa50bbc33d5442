import Foundation
import LoomCore

// The scheduler's plugins: started once it listens, told of every task transition, worker and
// heartbeat, asked for their status and for answers to clients' requests, closed when it stops.

extension SchedulerServer {
    func startPlugins() async throws {
        if let name = Dictionary(grouping: ownPlugins, by: \.name).first(where: { $0.value.count > 1 })?.key {
            throw LoomError(.plugin, "two scheduler plugins are named '\(name)'; plugin names must be unique")
        }
        // A plugin of the scheduler's own replaces a default of the same name.
        let own = Set(ownPlugins.map(\.name))
        // Every scheduler has the coordination primitives (variables, queues, events, locks)
        // published datasets and the calls on the scheduler itself.
        let builtIn: [any SchedulerPlugin] = [CoordinationPlugin(), DatasetsPlugin(), SchedulerCallsPlugin()]
        let all = try (builtIn + DefaultSchedulerPlugins.make(for: options)).filter { !own.contains($0.name) } + ownPlugins
        plugins = all
        transitionObservers = all.filter(\.observesTransitions)
        core.recordsTransitions = !transitionObservers.isEmpty
        for (index, plugin) in all.enumerated() {
            do {
                try await plugin.start(self)
            } catch {
                for started in all[..<index] { await started.close() }
                plugins = []
                throw LoomError(.plugin, "scheduler plugin '\(plugin.name)' did not start: \(error)", underlying: error)
            }
        }
    }

    func closePlugins() async {
        for run in installedRuns.values { run.cancel() }
        installedRuns = [:]
        let closing = plugins
        plugins = []
        transitionObservers = []
        core.recordsTransitions = false
        for plugin in closing { await plugin.close() }
    }

    /// Publishes the dashboard's link, which clients learn in their welcome (a dashboard plugin
    /// calls this from `start`).
    public nonisolated func publishDashboard(link: String?) {
        publishedDashboard.withLock { $0 = link }
    }

    /// Hands the transitions the state machine recorded to the plugins that observe them;
    /// `finished` is the run a worker just reported (finished, or failed without a run), which
    /// took its task out of processing.
    func deliverTransitions(finished: (key: Key, worker: String, run: TaskRun?)? = nil) {
        let recorded = core.takeTransitions()
        guard !recorded.isEmpty else { return }
        for change in recorded {
            var transition = TaskTransition(key: change.key, start: change.start, finish: change.finish)
            transition.worker = change.worker.flatMap(workerName)
            if change.start == .processing, let finished, finished.key == change.key {
                transition.worker = finished.worker
                if change.finish == .memory { transition.run = finished.run }
            }
            if change.finish == .erred { transition.message = core.failure(of: change.key)?.description }
            for plugin in transitionObservers { plugin.transition(transition) }
        }
    }

    /// A plugin's status for the dashboard, if the scheduler has a plugin of that name.
    public func pluginStatus(named name: String) async -> (any Encodable & Sendable)? {
        guard let plugin = plugins.first(where: { $0.name == name }) else { return nil }
        return await plugin.status()
    }

    /// The status of every plugin that has one, by plugin name.
    public func pluginStatuses() async -> [String: any Encodable & Sendable] {
        var statuses: [String: any Encodable & Sendable] = [:]
        for plugin in plugins {
            if let status = await plugin.status() { statuses[plugin.name] = status }
        }
        return statuses
    }

    /// The running plugin called `name`.
    public func plugin(named name: String) -> (any SchedulerPlugin)? { plugins.first { $0.name == name } }

    /// Keeps `keys` for a published dataset; returns those the scheduler has no task for (it
    /// keeps none of the keys then).
    func keepForDatasets(_ keys: [Key]) -> [Key] {
        let unknown = keys.filter { core.state(of: $0) == .forgotten }
        if unknown.isEmpty { apply(core.handle(.keep(keys: keys))) }
        return unknown
    }

    func stopKeepingForDatasets(_ keys: [Key]) { apply(core.handle(.stopKeeping(keys: keys))) }

    /// What an inline plugin's answer changed in the keys the scheduler keeps (futures that
    /// went into a variable or a queue, or came out of one).
    func apply(_ changes: KeptKeys) {
        if !changes.kept.isEmpty { apply(core.handle(.keep(keys: changes.kept))) }
        if !changes.released.isEmpty { apply(core.handle(.stopKeeping(keys: changes.released))) }
    }

    /// Answers a client's request to the plugin it names: an inline plugin's here, in the order
    /// the connection sent them, any other's off the scheduler's hot path.
    func answerPluginRequest(_ request: UInt64, plugin name: String, payload: [UInt8], from client: ClientID?, outbox: Outbox?) {
        guard let plugin = plugins.first(where: { $0.name == name }) else {
            let known = plugins.isEmpty ? "none" : plugins.map(\.name).joined(separator: ", ")
            outbox?.post(.pluginReply(request: request, payload: [], error: "this scheduler has no plugin named '\(name)' (it has: \(known))"))
            return
        }
        if let inline = plugin as? any InlineSchedulerPlugin {
            let changes = inline.handle(request: payload, from: client) { result in
                switch result {
                case .success(let answer): outbox?.post(.pluginReply(request: request, payload: answer, error: nil))
                case .failure(let error): outbox?.post(.pluginReply(request: request, payload: [], error: "scheduler plugin '\(name)': \(error)"))
                }
            }
            apply(changes)
            return
        }
        inBackground {
            let reply: Message
            do {
                reply = .pluginReply(request: request, payload: try await plugin.handle(request: payload), error: nil)
            } catch {
                reply = .pluginReply(request: request, payload: [], error: "scheduler plugin '\(name)': \(error)")
            }
            outbox?.post(reply)
        }
    }
}

// Worker plugins installed at run time (`Client.registerPlugin`): kept, sent to every worker now
// and to each that joins, and what each worker reports gathered for the client that asked.

extension SchedulerServer {
    /// Installs the plugin on the workers here now and, once they all set it up, on those that
    /// join later; each worker's name → its error ("" when set up), for those that answered
    /// within `timeout` (the others say they did not).
    func installWorkerPlugin(_ type: String, options: [UInt8], timeout: Duration) async -> [String: String] {
        workerPluginsToInstall.removeAll { $0.type == type }
        workerPluginsToInstall.append((type, options))
        workerPluginReports[type] = [:]
        let targets = connections.values.compactMap(\.worker).map(\.hello.name)
        for connection in connections.values where connection.worker != nil {
            connection.outbox.post(.installPlugin(type: type, options: options))
        }
        let present = { Set(self.connections.values.compactMap(\.worker).map(\.hello.name)) }
        _ = await settles(within: timeout) {
            let reported = workerPluginReports[type] ?? [:]
            return targets.allSatisfy { reported[$0] != nil || !present().contains($0) }
        }
        let reported = workerPluginReports[type] ?? [:]
        let reports = Dictionary(uniqueKeysWithValues: targets.compactMap { name in
            if let report = reported[name] { return (name, report) }
            return present().contains(name) ? (name, "did not answer within \(timeout)") : nil
        })
        // One that failed somewhere is not handed to the workers that join: the client heard why.
        if reports.values.contains(where: { !$0.isEmpty }) { workerPluginsToInstall.removeAll { $0.type == type } }
        return reports
    }

    /// A worker that joins sets up what clients installed, before any task reaches it.
    func installWorkerPlugins(on outbox: Outbox) {
        for plugin in workerPluginsToInstall { outbox.post(.installPlugin(type: plugin.type, options: plugin.options)) }
    }

    func workerInstalledPlugin(_ type: String, worker: String, error: String?) {
        if let error {
            logger.warning("a worker plugin did not set up", metadata: ["worker.name": "\(worker)", "plugin.type": "\(type)", "error": "\(error)"])
        }
        workerPluginReports[type, default: [:]][worker] = error ?? ""
    }
}
