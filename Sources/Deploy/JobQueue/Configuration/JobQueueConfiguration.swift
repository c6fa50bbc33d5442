import Foundation
import LoomDistributed
import LoomCore

// Each batch system's defaults from loom.yaml, as dask-jobqueue reads its `jobqueue.<system>`
// sections: a site writes its queue, account and directives once, and code sets the rest.
//
// ```yaml
// jobqueue:
//   slurm:
//     cores: 24
//     memory: 128GB
//     queue: normal
//     walltime: "02:00:00"
//     job-extra-directives: ["--constraint=haswell"]
//     maximum-pending-jobs: 10
// ```

extension JobQueueOptions {
    /// Loom's defaults overridden by the `jobqueue.<system>` section of the configuration, then
    /// by `cores` and `memory` when given. Set fields on the result to override the rest (the
    /// cluster checks the whole when it starts).
    public static func configured(for system: BatchSystem, cores: Int? = nil, memory: String? = nil,
                                  configuration: Configuration? = nil) throws -> JobQueueOptions {
        let section = try JobQueueSection(system: system, configuration: configuration)
        guard let cores = try cores ?? section.value("cores", .wholeNumber),
              let memory = try memory ?? section.value("memory", .memory)
        else {
            throw LoomError(.configuration, """
                \(system.rawValue) jobs need cores and memory: pass them, or set jobqueue.\(system.rawValue).cores and \
                jobqueue.\(system.rawValue).memory in loom.yaml
                """)
        }
        var options = JobQueueOptions(cores: cores, memory: memory)
        try section.apply(JobQueueSection.jobSettings, to: &options)
        options.cores = cores
        options.memory = memory
        return options
    }
}

extension JobQueueSetup {
    /// Loom's defaults overridden by the networking, folder and submission settings of the
    /// `jobqueue.<system>` section.
    public static func configured(for system: BatchSystem, configuration: Configuration? = nil) throws -> JobQueueSetup {
        var setup = JobQueueSetup()
        try JobQueueSection(system: system, configuration: configuration).apply(JobQueueSection.clusterSettings, to: &setup)
        return setup
    }
}

/// One batch system's section, read with the settings' types; an unknown setting or a value of
/// the wrong kind is an error naming its file and line.
struct JobQueueSection {
    let system: BatchSystem
    let settings: [String: ConfigurationValue]

    /// Reads one setting into its field, if the section has it.
    typealias Setting<Target> = @Sendable (JobQueueSection, String, inout Target) throws -> Void

    /// The settings of the job (`JobQueueOptions`).
    static let jobSettings: [String: Setting<JobQueueOptions>] = [
        "cores": field(\.cores, .wholeNumber), "memory": field(\.memory, .memory),
        "processes": field(\.processes, .wholeNumber), "queue": field(\.queue, .text),
        "account": field(\.account, .text), "project": field(\.account, .text),
        "walltime": field(\.walltime, .walltime), "job-name": field(\.jobName, .text),
        "job-extra-directives": field(\.jobExtraDirectives, .list), "job-directives-skip": field(\.jobDirectivesSkip, .list),
        "job-script-prologue": field(\.jobScriptPrologue, .list), "job-script-epilogue": field(\.jobScriptEpilogue, .list),
        "resource-spec": field(\.resourceSpec, .text), "interface": field(\.interface, .text),
        "local-directory": field(\.localDirectory, .text), "log-directory": field(\.logDirectory, .text),
        "death-timeout": field(\.deathTimeout, .seconds), "worker-extra-args": field(\.workerExtraArguments, .list),
        "worker-command": field(\.workerCommand, .text), "shebang": field(\.shebang, .text),
        "nanny": field(\.nanny, .boolean), "disk": field(\.disk, .memory),
    ]

    /// The settings of the cluster around the jobs (`JobQueueSetup`).
    static let clusterSettings: [String: Setting<JobQueueSetup>] = [
        "host": field(\.host, .text), "scheduler-interface": field(\.schedulerInterface, .text),
        "contact-address": field(\.contactAddress, .text), "scheduler-file": field(\.schedulerFile, .text),
        "jobs-directory": field(\.jobsDirectory, .text), "maximum-pending-jobs": field(\.limits.maximumPendingJobs, .wholeNumber),
        "submissions-per-second": field(\.limits.submissionsPerSecond, .positiveNumber),
        "failures-before-pause": field(\.limits.failuresBeforePause, .wholeNumber),
        "pause-seconds": field(\.limits.pause, .duration), "cancel-jobs-on-signals": field(\.cancelJobsOnSignals, .boolean),
    ]

    init(system: BatchSystem, configuration: Configuration?) throws {
        self.system = system
        settings = try (configuration ?? Configuration.current).section(JobQueueSettings.self).systems[system] ?? [:]
        let known = Set(Self.jobSettings.keys).union(Self.clusterSettings.keys)
        if let unknown = settings.keys.sorted().first(where: { !known.contains($0) }) {
            throw LoomError(.configuration, """
                \(settings[unknown]!.origin): unknown setting 'jobqueue.\(system.rawValue).\(unknown)' \
                (known: \(known.sorted().joined(separator: ", ")))
                """)
        }
    }

    func apply<Target>(_ table: [String: Setting<Target>], to target: inout Target) throws {
        for key in settings.keys.sorted() { try table[key]?(self, key, &target) }
    }

    static func field<Target, Value>(_ path: WritableKeyPath<Target, Value> & Sendable, _ kind: SettingKind<Value>) -> Setting<Target> {
        { section, key, target in if let value = try section.value(key, kind) { target[keyPath: path] = value } }
    }

    static func field<Target, Value>(_ path: WritableKeyPath<Target, Value?> & Sendable, _ kind: SettingKind<Value>) -> Setting<Target> {
        { section, key, target in if let value = try section.value(key, kind) { target[keyPath: path] = value } }
    }

    func value<Value>(_ key: String, _ kind: SettingKind<Value>) throws -> Value? {
        guard let setting = settings[key] else { return nil }
        guard let value = kind.read(setting) else { throw setting.invalid(expected: kind.expected) }
        return value
    }
}

/// How one kind of setting is read: what it should be, and the reading (nil if it is not).
struct SettingKind<Value>: Sendable {
    let expected: String
    let read: @Sendable (ConfigurationValue) -> Value?

    /// One value (not a list) read by `parse`.
    static func single(_ expected: String, _ parse: @escaping @Sendable (String) -> Value?) -> SettingKind {
        SettingKind(expected: expected) { $0.isList ? nil : $0.values.first.flatMap(parse) }
    }
}

extension SettingKind<String> {
    static var text: SettingKind { .single("a single value") { $0 } }
    static var memory: SettingKind { .single("a size like 128GB or 64GiB") { text in (try? MemorySize.bytes(text)) == nil ? nil : text } }
    static var walltime: SettingKind { .single("HH:MM:SS (or MM:SS, or minutes)") { Walltime.seconds($0) == nil ? nil : $0 } }
}

extension SettingKind<[String]> {
    static var list: SettingKind { SettingKind(expected: "a list") { $0.values } }
}

extension SettingKind<Int> {
    static var wholeNumber: SettingKind { .single("a positive whole number") { Int($0).flatMap { $0 > 0 ? $0 : nil } } }
}

extension SettingKind<Double> {
    static var positiveNumber: SettingKind { .single("a positive number") { Double($0).flatMap { $0 > 0 && $0.isFinite ? $0 : nil } } }
    static var seconds: SettingKind { .single("a number of seconds") { Double($0).flatMap { $0 >= 0 && $0 <= 1e9 ? $0 : nil } } }
}

extension SettingKind<Duration> {
    static var duration: SettingKind { .single("a number of seconds") { Double($0).flatMap { $0 >= 0 && $0 <= 1e9 ? .seconds($0) : nil } } }
}

extension SettingKind<Bool> {
    static var boolean: SettingKind {
        .single("true or false") { text in
            switch text.lowercased() {
            case "true", "yes", "on": true
            case "false", "no", "off": false
            default: nil
            }
        }
    }
}
