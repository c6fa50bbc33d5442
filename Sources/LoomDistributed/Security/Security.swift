import Foundation
import LoomCore
import NIOSSL
import X509

/// TLS with mutual authentication on every connection (Dask's `Security`): one certificate
/// authority, and a certificate with its key for each role that runs in this process.
///
/// ```swift
/// let security = try Security(
///     ca: .file("/etc/loom/ca.pem"),
///     client: .init(certificate: .file("/etc/loom/client.pem"), key: .file("/etc/loom/client.key")))
/// let client = try await Client(address: "tls://10.0.0.5:8786", security: security)
/// ```
/// Each side checks the other's certificate against the authority; host names are not checked
/// (a cluster's own authority signs its nodes' certificates, and nodes are reached by raw IP).
/// TLS 1.2 is the least version accepted. `Security.temporary()` makes a throwaway authority in
/// memory, for a `LocalCluster` or a test.
public struct Security: Sendable {
    public enum Role: String, Sendable, CaseIterable {
        case scheduler, worker, client
    }

    /// PEM text, or a file holding it.
    public enum PEM: Sendable, Hashable {
        case file(String)
        case text(String)

        /// A setting's value: PEM text when it is one (as Dask takes either), else a file's path —
        /// so `LOOM_COMM__TLS__CA_FILE` may carry the certificate itself (a cloud task's secret).
        public static func given(_ value: String) -> PEM {
            value.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("-----BEGIN ") ? .text(value) : .file(value)
        }
    }

    /// A certificate (a chain, leaf first) and its private key.
    public struct Credential: Sendable, Hashable {
        public var certificate: PEM
        public var key: PEM
        public init(certificate: PEM, key: PEM) {
            self.certificate = certificate
            self.key = key
        }
    }

    public let authority: PEM
    public let credentials: [Role: Credential]
    /// Whether a `tcp://` address is refused (Dask's `require_encryption`).
    public var requireEncryption: Bool

    let trustRoots: [NIOSSLCertificate]
    let loaded: [Role: LoadedCredential]

    struct LoadedCredential: Sendable {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
    }

    /// Reads and checks every file now, so a missing or unreadable one is named at once.
    public init(ca: PEM, scheduler: Credential? = nil, worker: Credential? = nil, client: Credential? = nil,
                requireEncryption: Bool = true) throws {
        authority = ca
        var credentials: [Role: Credential] = [:]
        credentials[.scheduler] = scheduler
        credentials[.worker] = worker
        credentials[.client] = client
        self.credentials = credentials
        self.requireEncryption = requireEncryption
        trustRoots = try Self.certificates(ca, what: "CA certificate")
        var loaded: [Role: LoadedCredential] = [:]
        for (role, credential) in credentials {
            loaded[role] = LoadedCredential(
                chain: try Self.certificates(credential.certificate, what: "\(role) certificate"),
                key: try Self.privateKey(credential.key, what: "\(role) key"))
        }
        self.loaded = loaded
    }

    /// The same certificate for every role (as `Security.temporary()` makes).
    public init(ca: PEM, everyRole credential: Credential, requireEncryption: Bool = true) throws {
        try self.init(ca: ca, scheduler: credential, worker: credential, client: credential, requireEncryption: requireEncryption)
    }

    /// The roles this security has a certificate for.
    public var roles: Set<Role> { Set(credentials.keys) }

    /// The certificate and key `role` presents; the error says which role lacks one.
    func credential(for role: Role) throws -> LoadedCredential {
        guard let credential = loaded[role] else {
            throw LoomError(.configuration, "the TLS settings have no certificate and key for the \(role) (--tls-cert/--tls-key, or comm.tls.\(role).cert and .key)")
        }
        return credential
    }

    package static func text(of pem: PEM, what: String) throws -> String {
        switch pem {
        case .text(let text): return text
        case .file(let path):
            do {
                return try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw LoomError(.configuration, "cannot read the TLS \(what) file \(path): \((error as NSError).localizedDescription)")
            }
        }
    }

    private static func origin(of pem: PEM, what: String) -> String {
        switch pem {
        case .file(let path): return "the TLS \(what) file \(path)"
        case .text: return "the TLS \(what) given in memory"
        }
    }

    private static func certificates(_ pem: PEM, what: String) throws -> [NIOSSLCertificate] {
        let text = try text(of: pem, what: what)
        let certificates = (try? NIOSSLCertificate.fromPEMBytes(Array(text.utf8))) ?? []
        guard !certificates.isEmpty else { throw LoomError(.configuration, "\(origin(of: pem, what: what)) holds no PEM certificate") }
        return certificates
    }

    private static func privateKey(_ pem: PEM, what: String) throws -> NIOSSLPrivateKey {
        let text = try text(of: pem, what: what)
        do {
            return try NIOSSLPrivateKey(bytes: Array(text.utf8), format: .pem)
        } catch {
            throw LoomError(.configuration, "\(origin(of: pem, what: what)) holds no PEM private key (\(error))")
        }
    }
}

extension Security {
    /// The settings of `comm.require-encryption` and `comm.tls.*` (loom.yaml, `LOOM_COMM__…`),
    /// or `nil` when they name no CA and do not require encryption.
    public static func configured(_ configuration: Configuration) throws -> Security? {
        let comm = try configuration.section(CommSettings.self)
        guard let ca = comm.tlsCAFile else {
            if comm.requireEncryption {
                throw LoomError(.configuration, "comm.require-encryption is true, but comm.tls.ca-file names no certificate authority")
            }
            return nil
        }
        var credentials: [Role: Credential] = [:]
        for role in Role.allCases {
            let pair = comm.tls[role.rawValue] ?? TLSFiles()
            switch (pair.certificate, pair.key) {
            case (nil, nil): continue
            case (let certificate?, let key?): credentials[role] = Credential(certificate: .given(certificate), key: .given(key))
            case (_?, nil): throw LoomError(.configuration, "comm.tls.\(role).cert is set but comm.tls.\(role).key is not")
            case (nil, _?): throw LoomError(.configuration, "comm.tls.\(role).key is set but comm.tls.\(role).cert is not")
            }
        }
        return try Security(
            ca: .given(ca), scheduler: credentials[.scheduler], worker: credentials[.worker], client: credentials[.client],
            requireEncryption: comm.requireEncryption)
    }

    /// From `--tls-ca-file`, `--tls-cert` and `--tls-key` for `role`, or else from the
    /// configuration; `nil` when neither sets TLS up.
    public static func fromFlags(caFile: String?, certificate: String?, key: String?, role: Role,
                                 configuration: Configuration) throws -> Security? {
        switch (caFile, certificate, key) {
        case (nil, nil, nil): return try configured(configuration)
        case (let ca?, let certificate?, let key?):
            let credential = Credential(certificate: .file(certificate), key: .file(key))
            return try Security(
                ca: .file(ca), scheduler: role == .scheduler ? credential : nil, worker: role == .worker ? credential : nil,
                client: role == .client ? credential : nil, requireEncryption: true)
        default:
            throw LoomError(.configuration, "TLS needs all of --tls-ca-file, --tls-cert and --tls-key")
        }
    }

    /// The `--tls-*` flags that hand a process these files.
    public static func flags(caFile: String, certificate: String, key: String) -> [String] {
        ["--tls-ca-file", caFile, "--tls-cert", certificate, "--tls-key", key]
    }

    /// The flags naming `role`'s files, when its CA, certificate and key all are files (nil
    /// when some are in memory and need copies, or the role has none).
    package func fileFlags(for role: Role) -> [String]? {
        guard case .file(let ca) = authority, let credential = credentials[role],
              case .file(let certificate) = credential.certificate, case .file(let key) = credential.key
        else { return nil }
        return Self.flags(caFile: ca, certificate: certificate, key: key)
    }

    /// The scheme addresses of a process with this security have.
    static func scheme(_ security: Security?) -> Address.Scheme { security == nil ? .tcp : .tls }
}
