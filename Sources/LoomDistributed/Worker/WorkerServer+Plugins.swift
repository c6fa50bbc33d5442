import LoomCore

// The worker's plugins: those of its process (`WorkerPlugins`), set up once it listens and torn
// down when it stops, and those clients install while it runs (`Client.registerPlugin`).

extension WorkerServer {
    func setUpPlugins(_ context: WorkerContext) async throws {
        let all = WorkerPlugins.all
        for (index, plugin) in all.enumerated() {
            do {
                try await plugin.setup(context)
            } catch {
                for started in all[..<index].reversed() { await started.teardown(context) }
                throw LoomError(.plugin, "worker \(name): plugin '\(plugin.name)' failed to set up: \(error)", underlying: error)
            }
        }
        plugins = all
        state.recordsTransitions = !all.isEmpty
    }

    func tearDownPlugins(_ context: WorkerContext) async {
        let started = plugins
        plugins = []
        state.recordsTransitions = false
        for plugin in started.reversed() { await plugin.teardown(context) }
    }

    /// Makes the plugin registered as `type` and sets it up, replacing a plugin of the same
    /// name; tells the scheduler how it went.
    func installPlugin(_ type: String, options: [UInt8]) async {
        do {
            guard let context = pluginContext else { throw LoomError(.plugin, "worker \(name) is not serving yet") }
            let plugin = try WorkerPluginTypes.make(type, options: options)
            if let index = plugins.firstIndex(where: { $0.name == plugin.name }) {
                let replaced = plugins.remove(at: index)
                await replaced.teardown(context)
            }
            try await plugin.setup(context)
            plugins.append(plugin)
            state.recordsTransitions = true
            logger.info("installed a worker plugin", metadata: ["plugin.type": "\(type)", "plugin.name": "\(plugin.name)"])
            toScheduler.post(.pluginInstalled(type: type, error: nil))
        } catch {
            toScheduler.post(.pluginInstalled(type: type, error: "\(error)"))
        }
    }
}
