import Foundation
import Loom
import LoomTestSupport
import Testing
import X509
@testable import LoomDistributed
@testable import LoomRuntime

/// Mutual TLS on every connection, and what each side says when the other is not trusted.
@Suite struct TLSTests {
    @Test func aTemporarySecurityClusterComputesOverTLSEverywhere() async throws {
        let security = try Security.temporary()
        try await withCluster(workers: 2, security: security) { cluster, client in
            #expect(cluster.schedulerAddress.scheme == .tls)
            #expect(client.security != nil)
            let workers = try await client.schedulerInfo()
            #expect(workers.count == 2 && workers.allSatisfy { $0.address.hasPrefix("tls://127.0.0.1:") }, "\(workers.map(\.address))")
            // Made on one worker, read on the other: the value crosses a worker-to-worker TLS link,
            // and the result comes to the client from a worker over TLS.
            let data = try await client.submit(TestTasks.pattern, 1_000_000, workers: [workers[0].name])
            let byte = try await client.submit(TestTasks.byteAt, data, 1000, workers: [workers[1].name])
            #expect(try await byte.result() == UInt8(truncatingIfNeeded: 1000 &* 31 &+ 7))
            #expect(try await data.result().count == 1_000_000)
        }
    }

    @Test func requiredEncryptionRefusesAPlainAddress() async throws {
        let scheduler = try await RunningScheduler()
        defer { Task { await scheduler.stop() } }
        let error = await #expect(throws: TransportError.self) {
            try await Client(address: scheduler.address, security: try Security.temporary(), setAsDefault: false)
        }
        #expect(error?.message.contains("is not encrypted, and this client requires encryption") == true, "\(String(describing: error))")
        #expect(error?.message.contains("tls://") == true)
    }

    @Test func untrustedOrPlainPeersAreRefusedAndTheSchedulerServesOthers() async throws {
        let security = try Security.temporary()
        let scheduler = try await RunningScheduler(SchedulerOptions(port: 0, security: security))
        defer { Task { await scheduler.stop() } }
        #expect(scheduler.address.scheme == .tls)

        // A plain client: the scheduler drops it during the handshake; the client says TLS may be why.
        let plain = Address(host: scheduler.address.host, port: scheduler.address.port)
        let plainError = await #expect(throws: (any Error).self) { try await Client(address: plain, setAsDefault: false) }
        #expect("\(plainError!)".contains("if it uses TLS, connect to tls://"), "\(plainError!)")

        // A client whose CA did not sign the scheduler's certificate rejects the scheduler.
        let stranger = try CertificateAuthority(commonName: "another CA")
        let strangers = try Security(ca: .text(stranger.certificatePEM), everyRole: try stranger.issue(commonName: "intruder"))
        let untrusted = await #expect(throws: (any Error).self) {
            try await Client(address: scheduler.address, security: strangers, setAsDefault: false)
        }
        #expect("\(untrusted!)".contains("is not signed by this cluster's certificate authority"), "\(untrusted!)")

        // The scheduler's CA, but an expired client certificate: the scheduler rejects it.
        let authority = try CertificateAuthority()
        let expiredSecurity = try Security(
            ca: .text(authority.certificatePEM),
            everyRole: try authority.issue(notValidBefore: Date(timeIntervalSinceNow: -7200), notValidAfter: Date(timeIntervalSinceNow: -3600)))
        let signedByOther = try await RunningScheduler(SchedulerOptions(
            port: 0, security: try Security(ca: .text(authority.certificatePEM), everyRole: try authority.issue())))
        defer { Task { await signedByOther.stop() } }
        let expired = await #expect(throws: (any Error).self) {
            try await Client(address: signedByOther.address, security: expiredSecurity, setAsDefault: false)
        }
        #expect("\(expired!)".contains("rejected this process's certificate") || "\(expired!)".contains("expired"), "\(expired!)")

        // Everyone else is still served.
        let client = try await Client(address: scheduler.address, security: security, setAsDefault: false)
        #expect(try await client.schedulerInfo().isEmpty)
        await client.close()
    }

    @Test func anExpiredCertificateIsNamedAsExpired() throws {
        let authority = try CertificateAuthority()
        let credential = try authority.issue(notValidBefore: Date(timeIntervalSinceNow: -7200), notValidAfter: Date(timeIntervalSinceNow: -3600))
        guard case .text(let pem) = credential.certificate else { Issue.record("a text certificate"); return }
        let reason = PeerVerifier.explain(try Certificate(pemEncoded: pem), [])
        #expect(reason.contains("expired on"), "\(reason)")
    }

    @Test func missingOrUnreadableFilesAreNamed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let authority = try CertificateAuthority()
        let credential = try authority.issue()
        guard case .text(let certificate) = credential.certificate else { return }
        try authority.certificatePEM.write(toFile: "\(directory)/ca.pem", atomically: true, encoding: .utf8)
        try certificate.write(toFile: "\(directory)/worker.pem", atomically: true, encoding: .utf8)
        try "not a key".write(toFile: "\(directory)/garbage.key", atomically: true, encoding: .utf8)

        let missing = #expect(throws: LoomError.self) {
            try Security(ca: .file("\(directory)/ca.pem"), worker: .init(certificate: .file("\(directory)/worker.pem"), key: .file("\(directory)/worker.key")))
        }
        #expect(missing?.message.contains("cannot read the TLS worker key file \(directory)/worker.key") == true, "\(missing!)")
        let garbage = #expect(throws: LoomError.self) {
            try Security(ca: .file("\(directory)/ca.pem"), worker: .init(certificate: .file("\(directory)/worker.pem"), key: .file("\(directory)/garbage.key")))
        }
        #expect(garbage?.message.contains("\(directory)/garbage.key holds no PEM private key") == true, "\(garbage!)")
        let noCA = #expect(throws: LoomError.self) { try Security(ca: .file("\(directory)/nowhere.pem")) }
        #expect(noCA?.message.contains("cannot read the TLS CA certificate file \(directory)/nowhere.pem") == true, "\(noCA!)")
    }

    @Test func theConfigurationKeysAndVariablesSetTLSUp() throws {
        let configuration = try Configuration.load(environment: [
            "LOOM_CONFIG": "/nonexistent/loom.yaml",
            "LOOM_COMM__REQUIRE_ENCRYPTION": "true",
            "LOOM_COMM__TLS__CA_FILE": "/etc/loom/ca.pem",
            "LOOM_COMM__TLS__CLIENT__CERT": "/etc/loom/client.pem",
            "LOOM_COMM__TLS__CLIENT__KEY": "/etc/loom/client.key",
        ])
        let comm = try configuration.section(CommSettings.self)
        #expect(comm.requireEncryption)
        #expect(comm.tlsCAFile == "/etc/loom/ca.pem")
        #expect(comm.tls["client"] == TLSFiles(certificate: "/etc/loom/client.pem", key: "/etc/loom/client.key"))
        // The files are read when a Security is made from them, and named if they are not there.
        let error = #expect(throws: LoomError.self) { try Security.configured(configuration) }
        #expect(error?.message.contains("/etc/loom/ca.pem") == true)
        let half = try Configuration.load(environment: ["LOOM_CONFIG": "/nonexistent/loom.yaml", "LOOM_COMM__TLS__CA_FILE": "/x", "LOOM_COMM__TLS__WORKER__CERT": "/y"])
        let halfError = #expect(throws: LoomError.self) { try Security.configured(half) }
        #expect(halfError?.message.contains("comm.tls.worker.cert is set but comm.tls.worker.key is not") == true)
    }
}
