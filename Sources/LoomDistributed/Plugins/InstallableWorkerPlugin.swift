import LoomCore

/// A worker plugin a client installs on a running cluster, as with Dask's
/// `client.register_plugin`: on every worker there now and on each that joins later.
///
/// ```swift
/// final class Model: InstallableWorkerPlugin {
///     static let typeName = "model"
///     let name = "model"
///     let path: String
///     init(options path: String) { self.path = path }
///     func setup(_ worker: WorkerContext) async throws { try load(path) }
/// }
/// try await Loom.bootstrap(registering: Tasks.predict, pluginTypes: [Model.self])
/// try await client.registerPlugin(Model.self, options: "/models/v2")
/// ```
/// Code cannot travel between processes, so the plugin's type is registered in each one
/// (`WorkerPluginTypes.register`, which `Loom.bootstrap` calls) and the client sends its
/// `Codable` options: each worker makes its own instance from them.
public protocol InstallableWorkerPlugin: WorkerPlugin, InstallablePlugin {}

/// The installable worker plugin types of this process, by type name.
public enum WorkerPluginTypes {
    static let registry = PluginTypeRegistry<any WorkerPlugin>(kind: "worker", parameter: "pluginTypes")

    /// Adds types; one whose name is taken replaces the earlier one.
    public static func register(_ types: [any InstallableWorkerPlugin.Type]) {
        for type in types { add(type) }
    }

    private static func add<Plugin: InstallableWorkerPlugin>(_ type: Plugin.Type) { registry.add(type) { $0 } }

    /// A new plugin of the type registered as `typeName`, from its encoded options.
    static func make(_ typeName: String, options: [UInt8]) throws -> any WorkerPlugin { try registry.make(typeName, options: options) }
}

extension Client {
    /// Installs a plugin of type `Plugin`, made from `options`, on every worker, and on every
    /// worker that joins from now on; one of the same name is torn down and replaced. Returns
    /// the names of the workers that set it up, once those there now have; throws naming each
    /// worker where it failed (or did not answer within `timeout`), and then workers that join
    /// later do not get it.
    @discardableResult
    public func registerPlugin<Plugin: InstallableWorkerPlugin>(_ type: Plugin.Type, options: Plugin.Options, timeout: Duration = .seconds(60))
        async throws -> [String]
    {
        let call = SchedulerCall.installWorkerPlugin(type: Plugin.typeName, options: try ValueCodec.encode(options), timeoutSeconds: timeout / .seconds(1))
        let reports = try ValueCodec.decode([String: String].self, from: try await pluginRequest(SchedulerCallsPlugin.pluginName, payload: try ValueCodec.encode(call)))
        let failed = reports.filter { !$0.value.isEmpty }
        guard failed.isEmpty else {
            let lines = failed.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
            throw LoomError(.plugin, "worker plugin '\(Plugin.typeName)' did not set up on \(failed.count) of \(reports.count) workers: \(lines.joined(separator: "; "))")
        }
        return reports.keys.sorted()
    }
}
