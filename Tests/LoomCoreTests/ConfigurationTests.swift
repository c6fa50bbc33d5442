import Foundation
import Testing
import LoomCore

@Suite struct ConfigurationTests {
    private func withFile(_ text: String, _ body: (String) throws -> Void) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("loom-\(UUID().uuidString).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try body(path)
    }

    @Test func defaultsWithoutFilesOrVariables() throws {
        let configuration = try Configuration.load(environment: ["HOME": "/nonexistent"])
        #expect(configuration == Configuration())
        #expect(configuration.localScheduler == .threads)
        #expect(configuration.localWorkers == nil)
    }

    @Test func fileThenEnvironment() throws {
        try withFile("local:\n  scheduler: processes\n  workers: 3\nprogress:\n  minimum: 2\n") { path in
            let fromFile = try Configuration.load(environment: ["LOOM_CONFIG": path])
            #expect(fromFile.localScheduler == .processes)
            #expect(fromFile.localWorkers == 3)
            #expect(fromFile.progressBarMinimum == 2)

            let overridden = try Configuration.load(environment: ["LOOM_CONFIG": path, "LOOM_LOCAL__WORKERS": "8", "LOOM_WORKER_MODE": "ignored"])
            #expect(overridden.localWorkers == 8)
            #expect(overridden.localScheduler == .processes)
        }
    }

    @Test func badEntriesNameFileLineKeyAndValue() throws {
        try withFile("local:\n  scheduler: threads\n  workers: many\n") { path in
            let error = #expect(throws: LoomError.self) { try Configuration.load(environment: ["LOOM_CONFIG": path]) }
            #expect(error?.code == .configuration)
            #expect(error?.message == "\(path):3: 'local.workers' is 'many', expected a positive whole number")
        }
        try withFile("local:\n  schedular: threads\n") { path in
            let error = #expect(throws: LoomError.self) { try Configuration.load(environment: ["LOOM_CONFIG": path]) }
            #expect(error?.message.contains("\(path):2: unknown setting 'local.schedular'") == true)
        }
        try withFile("local: [1, 2\n") { path in
            let error = #expect(throws: LoomError.self) { try Configuration.load(environment: ["LOOM_CONFIG": path]) }
            #expect(error?.message.contains("not valid YAML") == true)
        }
        let error = #expect(throws: LoomError.self) {
            try Configuration.load(environment: ["HOME": "/nonexistent", "LOOM_LOCAL__SCHEDULER": "gpu"])
        }
        #expect(error?.message == "environment variable LOOM_LOCAL__SCHEDULER: 'local.scheduler' is 'gpu', expected synchronous, threads or processes")
    }

    @Test func schedulerSettings() throws {
        try withFile("scheduler:\n  allowed-failures: 5\n") { path in
            let configuration = try Configuration.load(environment: ["LOOM_CONFIG": path])
            #expect(configuration.allowedFailures == 5)
        }
        let error = #expect(throws: LoomError.self) {
            try Configuration.load(environment: ["HOME": "/nonexistent", "LOOM_SCHEDULER__ALLOWED_FAILURES": "0"])
        }
        #expect(error?.message.contains("'scheduler.allowed-failures' is '0', expected a positive whole number") == true)
    }

    /// A layer's section, as another target declares one.
    struct Greeting: ConfigurationSection, Equatable {
        static let name = "greeting.style"
        var words: [String] = ["hello"]
        var loud = false
        mutating func set(_ setting: String, to value: ConfigurationValue) throws {
            switch setting {
            case "words": words = value.values
            case "loud":
                guard let flag = Bool(try value.single()) else { throw value.invalid(expected: "true or false") }
                loud = flag
            default: throw Self.unknown(value, known: ["loud", "words"])
            }
        }
    }

    @Test func otherLayersSectionsAreKeptAsWrittenAndCheckedByTheirSection() throws {
        try withFile("greeting:\n  style:\n    words:\n      - hi\n      - there\n    loud: yes\n") { path in
            let configuration = try Configuration.load(environment: ["LOOM_CONFIG": path, "LOOM_GREETING__STYLE__LOUD": "true"])
            #expect(configuration.entries["greeting.style.words"] == ConfigurationValue(
                key: "greeting.style.words", values: ["hi", "there"], isList: true, origin: "\(path):4"))
            #expect(try configuration.section(Greeting.self) == Greeting(words: ["hi", "there"], loud: true), "the variable overrides the file")
            #expect(try Configuration.load(environment: ["HOME": "/nonexistent"]).section(Greeting.self) == Greeting(), "defaults")

            let bad = try Configuration.load(environment: ["LOOM_CONFIG": path])
            let error = #expect(throws: LoomError.self) { try bad.section(Greeting.self) }
            #expect(error?.message == "\(path):6: 'greeting.style.loud' is 'yes', expected true or false")
        }
        try withFile("greeting:\n  style:\n    lowd: true\ngreetings:\n  words: hi\n") { path in
            let configuration = try Configuration.load(environment: ["LOOM_CONFIG": path])
            let unknown = #expect(throws: LoomError.self) { try configuration.section(Greeting.self) }
            #expect(unknown?.message == "\(path):3: unknown setting 'greeting.style.lowd' (known: greeting.style.loud, greeting.style.words)")
            let stray = #expect(throws: LoomError.self) { try configuration.validate(sections: []) }
            #expect(stray?.message.hasPrefix("\(path):3: 'greeting.style.lowd' is in no section Loom knows") == true, "\(String(describing: stray))")
        }
        try withFile("local:\n  workers: null\ngreeting:\n  style:\n    loud: ~\n    words:\n") { path in
            let configuration = try Configuration.load(environment: ["LOOM_CONFIG": path])
            #expect(configuration.localWorkers == nil && configuration.entries.isEmpty, "null, ~ and nothing leave a setting unset")
        }
        let badList = #expect(throws: LoomError.self) {
            try Configuration.load(environment: ["HOME": "/nonexistent", "LOOM_GREETING__STYLE__WORDS": "[\"--a\""])
        }
        #expect(badList?.message.contains("LOOM_GREETING__STYLE__WORDS") == true && badList?.message.contains("not a YAML list") == true)
        try withFile("local:\n  workers: [1, 2]\n") { path in
            let error = #expect(throws: LoomError.self) { try Configuration.load(environment: ["LOOM_CONFIG": path]) }
            #expect(error?.message == "\(path):2: 'local.workers' must be a single value")
        }
    }
}
