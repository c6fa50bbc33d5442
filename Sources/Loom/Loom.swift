@_exported import LoomArray
@_exported import LoomCloud
@_exported import LoomCommands
@_exported import LoomCore
@_exported import LoomDashboard
@_exported import LoomDistributed
@_exported import LoomFrame
@_exported import LoomJobQueue
@_exported import LoomKubernetes
@_exported import LoomLocal
@_exported import LoomRuntime
@_exported import LoomShuffle
@_exported import LoomSSH
import ArgumentParser
import Foundation
import NIOCore
import NIOPosix

/// Loom's entry points that are not tied to one type.
public enum Loom {
    /// The version of Loom this binary was built from.
    public static let version = "0.1.0"

    /// Every section of loom.yaml the layers declare (the core's own `local`, `scheduler` and
    /// `progress` besides): what `bootstrap` checks the configuration against.
    public static var configurationSections: [any ConfigurationSection.Type] {
        [WorkerMemoryFractions.self, CommSettings.self, ArraySettings.self, JobQueueSettings.self]
    }

    /// Registers the task functions this executable offers, makes the schedulers this process
    /// starts serve the dashboard (`Dashboard.installAsDefault()`), and, when the process was
    /// started as a Loom worker, serves tasks and exits instead of returning.
    ///
    /// Call it first thing in `main`, with every `TaskFunction` your graphs use: process pools,
    /// local clusters, job scripts and pods start workers from this same executable, and they
    /// find the functions by name. Started as `myapp worker tcp://HOST:PORT --nthreads 2 …`,
    /// the executable is a distributed worker with the options of `loom worker`, running
    /// `workerPlugins` (set up before it joins, torn down when it stops) and able to make the
    /// `pluginTypes` a client installs while it runs (`Client.registerPlugin`; as a scheduler,
    /// the `schedulerPluginTypes`); started as
    /// `myapp scheduler …`, it is a scheduler with the options of `loom scheduler`. Throws if
    /// the configuration (loom.yaml, `LOOM_…` variables) has an entry no layer knows or takes.
    public static func bootstrap(registering functions: any TaskFunctionRepresentable..., workerPlugins: [any WorkerPlugin] = [],
                                 pluginTypes: [any InstallableWorkerPlugin.Type] = [],
                                 schedulerPluginTypes: [any InstallableSchedulerPlugin.Type] = []) async throws {
        try await bootstrap(registering: functions, workerPlugins: workerPlugins, pluginTypes: pluginTypes, schedulerPluginTypes: schedulerPluginTypes)
    }

    public static func bootstrap(registering functions: [any TaskFunctionRepresentable], workerPlugins: [any WorkerPlugin] = [],
                                 pluginTypes: [any InstallableWorkerPlugin.Type] = [],
                                 schedulerPluginTypes: [any InstallableSchedulerPlugin.Type] = []) async throws {
        // Array and frame kernels first: a worker of any executable runs them without being told to.
        try TaskRegistry.shared.register(ArrayKernels.all)
        try TaskRegistry.shared.register(FrameKernels.all)
        // Frames shuffle peer to peer on clusters: every worker runs the service.
        try TaskRegistry.shared.register(ShuffleKernels.all)
        FrameShuffling.install(forClusters: P2PShuffler())
        try TaskRegistry.shared.register(functions)
        WorkerPlugins.register([ShuffleWorkerPlugin()] + workerPlugins)
        WorkerPluginTypes.register(pluginTypes)
        SchedulerPluginTypes.register(schedulerPluginTypes)
        // A misspelled section or a bad value stops the program here, naming file and line.
        try Configuration.current.validate(sections: configurationSections)
        Dashboard.installAsDefault()
        ProcessWorker.runIfRequested(registry: .shared)
        let arguments = Array(CommandLine.arguments.dropFirst())
        switch arguments.first {
        case WorkerCommand.configuration.commandName:
            // A worker process is Loom's own: run all async code on NIO's event loops, saving a
            // thread switch between the network and the code handling each message.
            NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
            await run(WorkerCommand.self, Array(arguments.dropFirst()))
        case SchedulerCommand.configuration.commandName:
            await run(SchedulerCommand.self, Array(arguments.dropFirst()))
        default:
            return
        }
    }

    private static func run<Command: AsyncParsableCommand>(_ type: Command.Type, _ arguments: [String]) async -> Never {
        do {
            var command = try type.parse(arguments)
            try await command.run()
            exit(0)
        } catch {
            type.exit(withError: error)
        }
    }
}
