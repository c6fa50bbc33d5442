import Foundation
import LoomCore
import NIOCore
import NIOSSL
import NIOTLS
import Synchronization
import X509

/// One role's TLS, ready for connections: a context to accept with, one to connect with, and
/// the check of the other side's certificate. Built once per scheduler, worker or client.
struct TransportSecurity: Sendable {
    static let handshakeTimeout = TimeAmount.seconds(10)
    let role: Security.Role
    let requireEncryption: Bool
    private let accepting: NIOSSLContext
    private let connecting: NIOSSLContext
    private let verifier: PeerVerifier

    init(_ security: Security, role: Security.Role) throws {
        self.role = role
        requireEncryption = security.requireEncryption
        let credential = try security.credential(for: role)
        func configured(_ configuration: TLSConfiguration) throws -> NIOSSLContext {
            var configuration = configuration
            configuration.minimumTLSVersion = .tlsv12
            // Both sides present a certificate and check the other's against the cluster's CA;
            // host names are not checked (see PeerVerifier).
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(security.trustRoots)
            do {
                return try NIOSSLContext(configuration: configuration)
            } catch {
                throw LoomError(.configuration, "the \(role)'s TLS certificate and key cannot be used together: \(error)")
            }
        }
        let chain = credential.chain.map(NIOSSLCertificateSource.certificate)
        accepting = try configured(.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(credential.key)))
        var client = TLSConfiguration.makeClientConfiguration()
        client.certificateChain = chain
        client.privateKey = .privateKey(credential.key)
        connecting = try configured(client)
        verifier = try PeerVerifier(roots: security.trustRoots)
    }

    /// The handlers that make `channel` a TLS connection, and a future that completes once the
    /// handshake did (failing with what went wrong).
    func secure(_ channel: Channel, accepting: Bool) throws -> EventLoopFuture<Void> {
        let reason = VerificationFailure()
        let verify: NIOSSLCustomVerificationCallback = { [verifier] chain, promise in verifier.verify(chain, promise, failure: reason) }
        let handler: ChannelHandler = accepting
            ? NIOSSLServerHandler(context: self.accepting, customVerificationCallback: verify)
            : try NIOSSLClientHandler(context: connecting, serverHostname: nil, customVerificationCallback: verify)
        let watcher = HandshakeWatcher(promise: channel.eventLoop.makePromise(), failure: reason)
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.pipeline.syncOperations.addHandler(watcher)
        // A plain server reads a TLS hello as the start of a long frame and waits for the rest;
        // a silent peer would hold the connection open: neither waits for ever.
        let timeout = channel.eventLoop.scheduleTask(in: Self.handshakeTimeout) {
            watcher.promise.fail(TLSFailure("""
                no handshake within \(Self.handshakeTimeout.nanoseconds / 1_000_000_000) s \
                (does the other side speak TLS? a plain tcp:// server waits silently)
                """))
            channel.close(promise: nil)
        }
        watcher.promise.futureResult.whenComplete { _ in timeout.cancel() }
        return watcher.promise.futureResult
    }

    /// Refuses a connection to `address` that would not be encrypted while encryption is required.
    static func check(_ address: Address, _ security: TransportSecurity?) throws {
        switch (address.scheme, security) {
        case (.tcp, let security?) where security.requireEncryption:
            throw TransportError("""
                \(address) is not encrypted, and this \(security.role) requires encryption \
                (Security.requireEncryption, comm.require-encryption): use the scheduler's tls:// address
                """)
        case (.tls, nil):
            throw TransportError("""
                \(address) uses TLS: give this process a certificate (security: in code, --tls-ca-file/--tls-cert/--tls-key, \
                or comm.tls.* in loom.yaml)
                """)
        default: return
        }
    }
}

/// A TLS handshake that failed, and why (`TLS: …`): a connection to drop, not a broken protocol.
struct TLSFailure: Error, CustomStringConvertible {
    let reason: String
    init(_ reason: String) { self.reason = reason }
    var description: String { "TLS: \(reason)" }
}

/// Why the other side's certificate was rejected, kept for the error the handshake ends with.
final class VerificationFailure: Sendable {
    private let reason = Mutex<String?>(nil)
    func record(_ text: String) { reason.withLock { $0 = text } }
    var recorded: String? { reason.withLock { $0 } }
}

/// Checks a peer's certificate chain against the cluster's CA with swift-certificates (RFC 5280:
/// signatures up to the CA, validity dates, constraints), so a rejection can say why.
struct PeerVerifier: Sendable {
    let roots: [Certificate]

    init(roots: [NIOSSLCertificate]) throws {
        self.roots = try roots.map { try Certificate(derEncoded: $0.toDERBytes()) }
    }

    func verify(_ chain: [NIOSSLCertificate], _ promise: EventLoopPromise<NIOSSLVerificationResult>, failure: VerificationFailure) {
        let parsed: [Certificate]
        do {
            parsed = try chain.map { try Certificate(derEncoded: $0.toDERBytes()) }
        } catch {
            failure.record("the other side's certificate does not parse: \(error)")
            promise.succeed(.failed)
            return
        }
        guard let leaf = parsed.first else {
            failure.record("the other side presented no certificate")
            promise.succeed(.failed)
            return
        }
        let roots = roots
        // Unstructured: NIO asks on its event loop and waits on the promise, while
        // swift-certificates verifies asynchronously.
        Task {
            var verifier = Verifier(rootCertificates: CertificateStore(roots)) { RFC5280Policy() }
            switch await verifier.validate(leaf: leaf, intermediates: CertificateStore(Array(parsed.dropFirst()))) {
            case .validCertificate:
                promise.succeed(.certificateVerified)
            case .couldNotValidate(let failures):
                failure.record(Self.explain(leaf, failures.map(\.policyFailureReason.description)))
                promise.succeed(.failed)
            }
        }
    }

    static func explain(_ leaf: Certificate, _ reasons: [String]) -> String {
        let subject = "the other side's certificate (\(leaf.subject))"
        let now = Date()
        if leaf.notValidAfter < now { return "\(subject) expired on \(leaf.notValidAfter.formatted(.iso8601))" }
        if leaf.notValidBefore > now { return "\(subject) is not valid before \(leaf.notValidBefore.formatted(.iso8601))" }
        if reasons.isEmpty { return "\(subject) is not signed by this cluster's certificate authority" }
        return "\(subject) was rejected: \(reasons.joined(separator: "; "))"
    }
}

/// Completes its promise when the TLS handshake did, and words a failed handshake so that it
/// says what went wrong: a rejected certificate, a peer that does not speak TLS. It leaves the
/// pipeline once the handshake is done (later errors pass as they are; with TLS 1.3 the server
/// may still reject this side's certificate then, which `describe` words too).
final class HandshakeWatcher: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let promise: EventLoopPromise<Void>
    let failure: VerificationFailure

    init(promise: EventLoopPromise<Void>, failure: VerificationFailure) {
        self.promise = promise
        self.failure = failure
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        context.fireUserInboundEventTriggered(event)
        guard case TLSUserEvent.handshakeCompleted = event else { return }
        promise.succeed(())
        // An alert right after (the server rejecting this side's certificate under TLS 1.3)
        // is still worded: the watcher goes once the first bytes arrive.
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let worded = TLSFailure(describe(error))
        promise.fail(worded)
        context.fireErrorCaught(worded)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(TLSFailure("the other side closed the connection during the handshake"))
        context.fireChannelInactive()
    }

    private func describe(_ error: any Error) -> String {
        if let reason = failure.recorded { return reason }
        let text = "\(error)"
        if text.contains("WRONG_VERSION_NUMBER") || text.contains("HTTP_REQUEST") || text.contains("UNEXPECTED_RECORD") {
            return "the other side does not speak TLS (a plain tcp:// connection?): \(text)"
        }
        if text.contains("ALERT") {
            return "the other side rejected this process's certificate (is it signed by the cluster's CA, and still valid?): \(text)"
        }
        if let error = error as? NIOSSLError, error == .uncleanShutdown { return "the other side closed the connection without a TLS goodbye" }
        return text
    }
}
