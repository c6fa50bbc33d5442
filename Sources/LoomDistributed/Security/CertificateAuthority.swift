import Crypto
import Foundation
import LoomCore
import X509

/// A certificate authority made in memory (swift-certificates, P-256 keys), that issues
/// certificates for a cluster's processes: what `Security.temporary()` uses, and what tests use
/// to make certificates from another authority, or expired ones.
public struct CertificateAuthority: Sendable {
    private let key: Certificate.PrivateKey
    private let certificate: Certificate
    /// The authority's certificate, for `Security(ca: .text(…))`.
    public let certificatePEM: String

    public init(commonName: String = "Loom temporary CA", validFor lifetime: TimeInterval = 365 * 24 * 3600) throws {
        key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let name = try DistinguishedName { CommonName(commonName) }
        let now = Date()
        certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey,
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(lifetime),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: key)
        certificatePEM = try certificate.serializeAsPEM().pemString
    }

    /// A certificate signed by this authority, valid from `notValidBefore` to `notValidAfter`
    /// (by default from an hour ago, for clocks a little apart, for a year).
    public func issue(commonName: String = "loom", notValidBefore: Date? = nil, notValidAfter: Date? = nil) throws -> Security.Credential {
        let leafKey = P256.Signing.PrivateKey()
        let now = Date()
        let leaf = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PrivateKey(leafKey).publicKey,
            notValidBefore: notValidBefore ?? now.addingTimeInterval(-3600),
            notValidAfter: notValidAfter ?? now.addingTimeInterval(365 * 24 * 3600),
            issuer: certificate.subject, subject: try DistinguishedName { CommonName(commonName) },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
            },
            issuerPrivateKey: key)
        return Security.Credential(certificate: .text(try leaf.serializeAsPEM().pemString), key: .text(leafKey.pemRepresentation))
    }
}

extension Security {
    /// A fresh authority in memory and one certificate it signs, used by every role; encryption
    /// required (Dask's `Security.temporary()`). Nothing is written to disk; processes a cluster
    /// starts get the same certificate (in files only they can read, removed when it closes).
    public static func temporary() throws -> Security {
        let authority = try CertificateAuthority()
        return try Security(ca: .text(authority.certificatePEM), everyRole: try authority.issue())
    }
}
