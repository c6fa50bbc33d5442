import LoomCore
import Synchronization

/// What a plugin a client installs while the cluster runs has (`InstallableWorkerPlugin`,
/// `InstallableSchedulerPlugin`): a type name registered in each process, and the `Codable`
/// options the client sends, which each process makes its own instance from.
public protocol InstallablePlugin {
    associatedtype Options: Codable & Sendable
    /// Unique among the process's installable plugin types of its kind, the same in every process.
    static var typeName: String { get }
    init(options: Options) throws
}

/// Plugin types by name, and how to make one from encoded options.
final class PluginTypeRegistry<Plugin>: Sendable {
    private let kind: String
    /// The `Loom.bootstrap` parameter that registers them, for the error.
    private let parameter: String
    private let makers = Mutex<[String: @Sendable ([UInt8]) throws -> Plugin]>([:])

    init(kind: String, parameter: String) {
        self.kind = kind
        self.parameter = parameter
    }

    /// Registers `type`, whose instances are this registry's plugins as `plugin` makes them.
    func add<Installable: InstallablePlugin>(_ type: Installable.Type, as plugin: @escaping @Sendable (Installable) -> Plugin) {
        makers.withLock {
            $0[Installable.typeName] = { bytes in plugin(try Installable(options: try ValueCodec.decode(Installable.Options.self, from: bytes))) }
        }
    }

    func make(_ typeName: String, options: [UInt8]) throws -> Plugin {
        guard let make = makers.withLock({ $0[typeName] }) else {
            let known = makers.withLock { $0.keys.sorted() }
            throw LoomError(.plugin, "no \(kind) plugin type '\(typeName)' is registered in this process (registered: \(known.isEmpty ? "none" : known.joined(separator: ", "))); "
                + "pass it to Loom.bootstrap(\(parameter):)")
        }
        return try make(options)
    }
}
