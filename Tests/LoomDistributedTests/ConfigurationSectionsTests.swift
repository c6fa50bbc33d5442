import Foundation
import Loom
import Testing

/// The distributed layer's sections of loom.yaml: `worker.memory` and `comm`.
@Suite struct ConfigurationSectionsTests {
    @Test func workerMemoryFractionsFromFileAndVariables() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("loom-\(UUID().uuidString).yaml").path
        try "worker:\n  memory:\n    target: 0.5\n    spill: false\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let configuration = try Configuration.load(environment: ["LOOM_CONFIG": path, "LOOM_WORKER__MEMORY__PAUSE": "0.9"])
        let memory = try configuration.section(WorkerMemoryFractions.self)
        #expect(memory == WorkerMemoryFractions(target: 0.5, spill: nil, pause: 0.9, terminate: 0.95), "false turns spilling off")

        let bad = try Configuration.load(environment: ["HOME": "/nonexistent", "LOOM_WORKER__MEMORY__PAUSE": "1.5"])
        let error = #expect(throws: LoomError.self) { try bad.section(WorkerMemoryFractions.self) }
        #expect(error?.message == "environment variable LOOM_WORKER__MEMORY__PAUSE: 'worker.memory.pause' is '1.5', expected a fraction between 0 and 1, or false to turn it off")
        let unknown = try Configuration.load(environment: ["HOME": "/nonexistent", "LOOM_COMM__TLS__NANNY__CERT": "/x"])
        let unknownError = #expect(throws: LoomError.self) { try unknown.section(CommSettings.self) }
        #expect(unknownError?.message.contains("unknown setting 'comm.tls.nanny.cert'") == true, "\(String(describing: unknownError))")
    }

    @Test func tlsSettingsTakeFilesOrThePEMTextItself() throws {
        let security = try Security.temporary()
        let pem = { (value: Security.PEM) -> String in if case .text(let text) = value { text } else { "" } }
        let worker = try #require(security.credentials[.worker])
        // The certificates themselves, as a cloud task's secrets hand them over.
        let inline = try Configuration.load(environment: [
            "HOME": "/nonexistent", "LOOM_COMM__TLS__CA_FILE": pem(security.authority),
            "LOOM_COMM__TLS__WORKER__CERT": pem(worker.certificate), "LOOM_COMM__TLS__WORKER__KEY": pem(worker.key),
        ])
        let loaded = try #require(try Security.configured(inline))
        #expect(loaded.authority == security.authority && loaded.credentials[.worker] == worker)
        let files = try Configuration.load(environment: ["HOME": "/nonexistent", "LOOM_COMM__TLS__CA_FILE": "/nonexistent/ca.pem"])
        let missing = #expect(throws: LoomError.self) { try Security.configured(files) }
        #expect(missing?.message.contains("/nonexistent/ca.pem") == true, "a path is still a path: \(String(describing: missing))")
    }

    @Test func everySectionLoomHasIsKnownToTheCheck() throws {
        let configuration = try Configuration.load(environment: [
            "HOME": "/nonexistent", "LOOM_WORKER__MEMORY__SPILL": "0.6", "LOOM_ARRAY__CHUNK_SIZE": "64MiB",
            "LOOM_JOBQUEUE__SLURM__QUEUE": "normal", "LOOM_COMM__REQUIRE_ENCRYPTION": "false",
        ])
        try configuration.validate(sections: Loom.configurationSections)
        let typo = try Configuration.load(environment: ["HOME": "/nonexistent", "LOOM_WROKER__MEMORY__SPILL": "0.6"])
        let error = #expect(throws: LoomError.self) { try typo.validate(sections: Loom.configurationSections) }
        #expect(error?.message.contains("'wroker.memory.spill' is in no section Loom knows") == true, "\(String(describing: error))")
    }
}
