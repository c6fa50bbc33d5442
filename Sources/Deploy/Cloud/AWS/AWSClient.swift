import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The few AWS calls Loom makes, signed (SigV4) and sent with async-http-client: JSON 1.1 for
/// ECS and CloudWatch Logs, the Query protocol (form in, XML out) for EC2 and IAM. Throttling
/// and transient errors are tried again with backoff (`AWSRetryPolicy`); any other error is
/// thrown as the service worded it (`AWSError`).
public final class AWSClient: Sendable {
    public let configuration: AWSConfiguration
    let retry: AWSRetryPolicy
    private let http: HTTPClient
    private let now: @Sendable () -> Date

    public convenience init(configuration: AWSConfiguration, retry: AWSRetryPolicy = AWSRetryPolicy(), http: HTTPClient = .shared) {
        self.init(configuration: configuration, retry: retry, http: http, now: { Date() })
    }

    init(configuration: AWSConfiguration, retry: AWSRetryPolicy, http: HTTPClient, now: @escaping @Sendable () -> Date) {
        self.configuration = configuration
        self.retry = retry
        self.http = http
        self.now = now
    }

    /// A JSON 1.1 call: `X-Amz-Target: <targetPrefix>.<action>`, `body` as JSON; the answer's
    /// JSON decoded as `Answer`.
    public func json<Answer: Decodable>(
        _ service: String, targetPrefix: String, action: String, _ body: some Encodable, as: Answer.Type = Answer.self
    ) async throws -> Answer {
        let request = AWSRequest(
            method: "POST", url: configuration.endpoint(for: service),
            headers: [("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", "\(targetPrefix).\(action)")],
            body: Array(try JSONEncoder().encode(body)))
        let answer = try await send(request, service: service, action: action)
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(answer.isEmpty ? Array("{}".utf8) : answer))
        } catch {
            throw AWSError(service: service, action: action, code: "MalformedAnswer", message: "the answer is not what \(action) returns: \(error)", status: 200)
        }
    }

    /// A Query-protocol call: `Action`, `Version` and `parameters` form-encoded (lists as
    /// `Name.1`, `Name.2`, as the caller spells them); the answer's XML.
    public func query(_ service: String, version: String, action: String, _ parameters: [(String, String)] = []) async throws -> XMLTree {
        let form = ([("Action", action), ("Version", version)] + parameters)
            .map { "\(Self.formEncode($0.0))=\(Self.formEncode($0.1))" }.joined(separator: "&")
        let request = AWSRequest(
            method: "POST", url: configuration.endpoint(for: service),
            headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")], body: Array(form.utf8))
        let answer = try await send(request, service: service, action: action)
        do {
            return try XMLTree.parse(answer)
        } catch {
            throw AWSError(service: service, action: action, code: "MalformedAnswer", message: "\(error)", status: 200)
        }
    }

    /// A form field as the SDKs send it (`application/x-www-form-urlencoded`: a space as `+`,
    /// every byte but the unreserved percent-encoded); moto checks the signature over it so.
    static func formEncode(_ text: String) -> String {
        SigV4Signer.uriEncode(text).replacingOccurrences(of: "%20", with: "+")
    }

    /// Signs and sends `request`, again after a transient error while attempts are left; the
    /// answer's body, or the error it carried.
    func send(_ request: AWSRequest, service: String, action: String) async throws -> [UInt8] {
        let signer = SigV4Signer(credentials: configuration.credentials, region: configuration.signingRegion(for: service), service: service)
        var attempt = 1
        while true {
            let failure: AWSError
            do {
                let (status, body) = try await transmit(signer.signed(request, at: now()))
                if (200..<300).contains(status) { return body }
                failure = AWSError.parse(body, status: status, service: service, action: action)
            } catch {
                // No answer (status 0): transient, as the SDKs treat a connection that failed.
                failure = AWSError(service: service, action: action, code: "Unreachable", message: "\(request.url): \(error)", status: 0)
            }
            guard retry.isTransient(failure), attempt < retry.maximumAttempts else { throw failure }
            try await pause(after: attempt)
            attempt += 1
        }
    }

    private func pause(after attempt: Int) async throws {
        try await Task.sleep(for: .seconds(retry.delay(afterAttempt: attempt, random: Double.random(in: 0..<1))))
    }

    private func transmit(_ request: AWSRequest) async throws -> (Int, [UInt8]) {
        var outgoing = HTTPClientRequest(url: request.url.absoluteString)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        outgoing.body = .bytes(ByteBuffer(bytes: request.body))
        let response = try await http.execute(outgoing, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 64 << 20)
        return (Int(response.status.code), Array(buffer: body))
    }
}
