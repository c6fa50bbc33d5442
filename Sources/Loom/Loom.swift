@_exported import LoomCore
@_exported import LoomLocal
@_exported import LoomDistributed

/// Loom's entry points that are not tied to one type.
public enum Loom {
    /// The version of Loom this binary was built from.
    public static let version = "0.1.0"

    /// Registers the task functions this executable offers and, when the process was started as
    /// a Loom worker, serves tasks and exits instead of returning.
    ///
    /// Call it first thing in `main`, with every `TaskFunction` your graphs use: the process
    /// scheduler starts workers from this same executable, and they find the functions by name.
    public static func bootstrap(registering functions: any TaskFunctionRepresentable...) throws {
        try bootstrap(registering: functions)
    }

    public static func bootstrap(registering functions: [any TaskFunctionRepresentable]) throws {
        try TaskRegistry.shared.register(functions)
        ProcessWorker.runIfRequested(registry: .shared)
    }
}
