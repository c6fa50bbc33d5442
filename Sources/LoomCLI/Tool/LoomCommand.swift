import ArgumentParser
import Foundation
import Loom

@main
struct LoomCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loom",
        abstract: "Parallel and distributed computing for Swift.",
        subcommands: [Demo.self, SchedulerCommand.self, WorkerCommand.self, JobScriptCommand.self, KubernetesCommand.self, CloudCommand.self, Version.self])

    static func main() async {
        // `loom` is also the worker executable of its own demos: `loom worker …` serves here.
        do {
            try await Loom.bootstrap(registering: DemoTasks.all)
        } catch {
            exit(withError: error)
        }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print Loom's version.")
    func run() { print("loom \(Loom.version)") }
}
