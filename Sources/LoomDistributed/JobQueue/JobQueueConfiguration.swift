import Foundation
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
    /// by `cores` and `memory` when given. Set fields on the result to override the rest.
    public static func configured(for system: BatchSystem, cores: Int? = nil, memory: String? = nil,
                                  configuration: Configuration? = nil) throws -> JobQueueOptions {
        let section = try JobQueueSection(system: system, configuration: configuration)
        let sectionCores = try section.value("cores", JobQueueSection.wholeNumber)
        guard let cores = cores ?? sectionCores, let memory = try memory ?? section.value("memory", JobQueueSection.text) else {
            throw LoomError(.configuration, """
                \(system.rawValue) jobs need cores and memory: pass them, or set jobqueue.\(system.rawValue).cores and \
                jobqueue.\(system.rawValue).memory in loom.yaml
                """)
        }
        var options = JobQueueOptions(cores: cores, memory: memory)
        try section.set(&options.processes, "processes", JobQueueSection.wholeNumber)
        try section.set(&options.queue, "queue", JobQueueSection.text)
        try section.set(&options.account, "account", JobQueueSection.text)
        try section.set(&options.account, "project", JobQueueSection.text)
        try section.set(&options.walltime, "walltime", JobQueueSection.text)
        try section.set(&options.jobName, "job-name", JobQueueSection.text)
        try section.set(&options.jobExtraDirectives, "job-extra-directives", JobQueueSection.list)
        try section.set(&options.jobDirectivesSkip, "job-directives-skip", JobQueueSection.list)
        try section.set(&options.jobScriptPrologue, "job-script-prologue", JobQueueSection.list)
        try section.set(&options.jobScriptEpilogue, "job-script-epilogue", JobQueueSection.list)
        try section.set(&options.resourceSpec, "resource-spec", JobQueueSection.text)
        try section.set(&options.interface, "interface", JobQueueSection.text)
        try section.set(&options.localDirectory, "local-directory", JobQueueSection.text)
        try section.set(&options.logDirectory, "log-directory", JobQueueSection.text)
        try section.set(&options.deathTimeout, "death-timeout", JobQueueSection.seconds)
        try section.set(&options.workerExtraArguments, "worker-extra-args", JobQueueSection.list)
        try section.set(&options.workerCommand, "worker-command", JobQueueSection.text)
        try section.set(&options.shebang, "shebang", JobQueueSection.text)
        try section.set(&options.nanny, "nanny", JobQueueSection.boolean)
        try section.set(&options.disk, "disk", JobQueueSection.text)
        _ = try options.validated()
        return options
    }
}

extension JobQueueSetup {
    /// Loom's defaults overridden by the networking, folder and submission settings of the
    /// `jobqueue.<system>` section.
    public static func configured(for system: BatchSystem, configuration: Configuration? = nil) throws -> JobQueueSetup {
        let section = try JobQueueSection(system: system, configuration: configuration)
        var setup = JobQueueSetup()
        try section.set(&setup.host, "host", JobQueueSection.text)
        try section.set(&setup.schedulerInterface, "scheduler-interface", JobQueueSection.text)
        try section.set(&setup.contactAddress, "contact-address", JobQueueSection.text)
        try section.set(&setup.schedulerFile, "scheduler-file", JobQueueSection.text)
        try section.set(&setup.jobsDirectory, "jobs-directory", JobQueueSection.text)
        try section.set(&setup.limits.maximumPendingJobs, "maximum-pending-jobs", JobQueueSection.wholeNumber)
        try section.set(&setup.limits.submissionsPerSecond, "submissions-per-second", JobQueueSection.positiveNumber)
        try section.set(&setup.limits.failuresBeforePause, "failures-before-pause", JobQueueSection.wholeNumber)
        var pause: Double?
        try section.set(&pause, "pause-after-failures", JobQueueSection.seconds)
        if let pause { setup.limits.pause = .milliseconds(Int64(pause * 1000)) }
        return setup
    }
}

/// One batch system's section, read with the settings' types; an unknown setting or a value of
/// the wrong kind is an error naming its file and line.
struct JobQueueSection {
    let system: BatchSystem
    let settings: [String: JobQueueSetting]

    /// Every setting a section may have (job options and cluster setup).
    static let known: Set<String> = [
        "cores", "memory", "processes", "queue", "account", "project", "walltime", "job-name", "job-extra-directives",
        "job-directives-skip", "job-script-prologue", "job-script-epilogue", "resource-spec", "interface", "local-directory",
        "log-directory", "death-timeout", "worker-extra-args", "worker-command", "shebang", "nanny", "disk",
        "host", "scheduler-interface", "contact-address", "scheduler-file", "jobs-directory", "maximum-pending-jobs",
        "submissions-per-second", "failures-before-pause", "pause-after-failures",
    ]

    init(system: BatchSystem, configuration: Configuration?) throws {
        self.system = system
        settings = try (configuration ?? Configuration.current).jobQueue[system.rawValue] ?? [:]
        if let unknown = settings.keys.sorted().first(where: { !Self.known.contains($0) }) {
            throw LoomError(.configuration, """
                \(settings[unknown]!.origin): unknown setting 'jobqueue.\(system.rawValue).\(unknown)' \
                (known: \(Self.known.sorted().joined(separator: ", ")))
                """)
        }
    }

    /// How one kind of value is read: what it should be, and the reading (nil if it is not).
    struct Kind<Value>: Sendable {
        let expected: String
        let read: @Sendable (JobQueueSetting) -> Value?
    }

    static let text = Kind<String>(expected: "a single value") { $0.isList ? nil : $0.values.first }
    static let list = Kind<[String]>(expected: "a list") { $0.values }
    static let wholeNumber = Kind<Int>(expected: "a positive whole number") { setting in
        setting.isList ? nil : setting.values.first.flatMap(Int.init).flatMap { $0 > 0 ? $0 : nil }
    }
    static let positiveNumber = Kind<Double>(expected: "a positive number") { setting in
        setting.isList ? nil : setting.values.first.flatMap(Double.init).flatMap { $0 > 0 && $0.isFinite ? $0 : nil }
    }
    static let seconds = Kind<Double>(expected: "a number of seconds") { setting in
        setting.isList ? nil : setting.values.first.flatMap(Double.init).flatMap { $0 >= 0 && $0.isFinite ? $0 : nil }
    }
    static let boolean = Kind<Bool>(expected: "true or false") { setting in
        switch setting.isList ? nil : setting.values.first?.lowercased() {
        case "true", "yes", "on": true
        case "false", "no", "off": false
        default: nil
        }
    }

    func value<Value>(_ key: String, _ kind: Kind<Value>) throws -> Value? {
        guard let setting = settings[key] else { return nil }
        guard let value = kind.read(setting) else {
            throw LoomError(.configuration, """
                \(setting.origin): 'jobqueue.\(system.rawValue).\(key)' is '\(setting.values.joined(separator: ", "))', \
                expected \(kind.expected)
                """)
        }
        return value
    }

    func set<Value>(_ field: inout Value, _ key: String, _ kind: Kind<Value>) throws {
        if let value = try value(key, kind) { field = value }
    }

    func set<Value>(_ field: inout Value?, _ key: String, _ kind: Kind<Value>) throws {
        if let value = try value(key, kind) { field = value }
    }
}
