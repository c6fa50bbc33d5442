import ArgumentParser
import LoomCore
import LoomDistributed

/// `--tls-ca-file`, `--tls-cert`, `--tls-key`: this process's TLS (Dask's flags of the same
/// names); without them, `comm.tls.*` in the configuration.
public struct TLSOptions: ParsableArguments {
    @Option(help: "The cluster's certificate authority (PEM); with --tls-cert and --tls-key, every connection is TLS.")
    public var tlsCaFile: String?

    @Option(help: "This process's certificate (PEM), signed by the CA.")
    public var tlsCert: String?

    @Option(help: "This process's private key (PEM).")
    public var tlsKey: String?

    public init() {}

    public func validate() throws {
        let given = [tlsCaFile, tlsCert, tlsKey].compactMap { $0 }.count
        guard given == 0 || given == 3 else { throw ValidationError("TLS needs all three of --tls-ca-file, --tls-cert and --tls-key") }
    }

    /// The security these flags (or else the configuration) give `role`; nil for plain TCP.
    public func security(for role: Security.Role) throws -> Security? {
        try Security.fromFlags(caFile: tlsCaFile, certificate: tlsCert, key: tlsKey, role: role, configuration: try Configuration.current)
    }

    /// The same flags, for a process this one starts.
    public var arguments: [String] {
        guard let tlsCaFile, let tlsCert, let tlsKey else { return [] }
        return Security.flags(caFile: tlsCaFile, certificate: tlsCert, key: tlsKey)
    }
}
