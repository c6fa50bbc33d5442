import LoomCore

/// A scheduler plugin a client installs on a running scheduler, as with Dask's
/// `client.register_plugin(SchedulerPlugin)`: its type is registered in the scheduler's process
/// (`Loom.bootstrap(pluginTypes:)`, or `SchedulerPluginTypes.register`), and the scheduler makes
/// it from the `Codable` options the client sends, starts it, and from then on tells it what it
/// tells every plugin. One of the same name is closed and replaced.
public protocol InstallableSchedulerPlugin: SchedulerPlugin, InstallablePlugin {}

/// The installable scheduler plugin types of this process, by type name.
public enum SchedulerPluginTypes {
    static let registry = PluginTypeRegistry<any SchedulerPlugin>(kind: "scheduler", parameter: "schedulerPluginTypes")

    /// Adds types; one whose name is taken replaces the earlier one.
    public static func register(_ types: [any InstallableSchedulerPlugin.Type]) {
        for type in types { add(type) }
    }

    private static func add<Plugin: InstallableSchedulerPlugin>(_ type: Plugin.Type) { registry.add(type) { $0 } }
}

extension Client {
    /// Installs a scheduler plugin of type `Plugin`, made from `options`, on the running
    /// scheduler; throws what the scheduler said if it could not (an unknown type, a failed
    /// start).
    public func registerPlugin<Plugin: InstallableSchedulerPlugin>(_ type: Plugin.Type, options: Plugin.Options) async throws {
        let call = SchedulerCall.installSchedulerPlugin(type: Plugin.typeName, options: try ValueCodec.encode(options))
        _ = try await pluginRequest(SchedulerCallsPlugin.pluginName, payload: try ValueCodec.encode(call))
    }
}

extension SchedulerServer {
    /// Makes the plugin registered as `type`, closes one of the same name, starts it, and runs
    /// its `run` loop until it is replaced or the scheduler stops.
    func installSchedulerPlugin(_ type: String, options: [UInt8]) async throws {
        let plugin = try SchedulerPluginTypes.registry.make(type, options: options)
        if let index = plugins.firstIndex(where: { $0.name == plugin.name }) {
            let replaced = plugins.remove(at: index)
            installedRuns.removeValue(forKey: replaced.name)?.cancel()
            await replaced.close()
        }
        do {
            try await plugin.start(self)
        } catch {
            throw LoomError(.plugin, "scheduler plugin '\(plugin.name)' did not start: \(error)", underlying: error)
        }
        plugins.append(plugin)
        transitionObservers = plugins.filter(\.observesTransitions)
        core.recordsTransitions = !transitionObservers.isEmpty
        installedRuns[plugin.name] = Task { await plugin.run(self) }
        logger.info("installed a scheduler plugin", metadata: ["plugin.type": "\(type)", "plugin.name": "\(plugin.name)"])
    }
}
