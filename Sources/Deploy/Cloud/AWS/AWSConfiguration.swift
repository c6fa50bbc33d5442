import Foundation
import LoomCore

/// Where requests go and with which key, found the way the AWS SDKs and CLI find them:
/// `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`, else the profile
/// (`AWS_PROFILE`, else `default`) of `~/.aws/credentials` (`AWS_SHARED_CREDENTIALS_FILE`) and
/// `~/.aws/config` (`AWS_CONFIG_FILE`, sections `[profile NAME]`); the region from
/// `AWS_REGION`, `AWS_DEFAULT_REGION` or the profile's `region`; endpoints from
/// `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL` or the profile's `endpoint_url`, else AWS's.
public struct AWSConfiguration: Sendable {
    public var credentials: AWSCredentials
    public var region: String
    /// Endpoint overrides by service (`ecs`, `ec2`, `iam`, `logs`); "" for every service.
    public var endpoints: [String: URL]

    public init(credentials: AWSCredentials, region: String, endpoints: [String: URL] = [:]) {
        self.credentials = credentials
        self.region = region
        self.endpoints = endpoints
    }

    /// From this process's environment and files; throws, saying what is missing and where
    /// it was looked for.
    public static func fromEnvironment() throws -> AWSConfiguration {
        let environment = ProcessInfo.processInfo.environment
        let home = environment["HOME"] ?? NSHomeDirectory()
        func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }
        return try resolve(
            environment: environment,
            credentialsFile: read(environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "\(home)/.aws/credentials"),
            configFile: read(environment["AWS_CONFIG_FILE"] ?? "\(home)/.aws/config"))
    }

    /// The configuration these variables and file contents give (pure, for tests).
    static func resolve(environment: [String: String], credentialsFile: String?, configFile: String?) throws -> AWSConfiguration {
        let profile = environment["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        let shared = INIFile(credentialsFile ?? "").section(profile)
        let config = INIFile(configFile ?? "").section(profile == "default" ? "default" : "profile \(profile)")
        func value(_ variable: String, _ key: String) -> String? {
            if let value = environment[variable], !value.isEmpty { return value }
            return shared[key] ?? config[key]
        }
        let credentials: AWSCredentials
        if let id = environment["AWS_ACCESS_KEY_ID"], !id.isEmpty {
            guard let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty else {
                throw LoomError(.configuration, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
            }
            credentials = AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
        } else if let id = shared["aws_access_key_id"] ?? config["aws_access_key_id"] {
            guard let secret = shared["aws_secret_access_key"] ?? config["aws_secret_access_key"] else {
                throw LoomError(.configuration, "the AWS profile '\(profile)' has aws_access_key_id but no aws_secret_access_key")
            }
            credentials = AWSCredentials(accessKeyID: id, secretAccessKey: secret, sessionToken: shared["aws_session_token"] ?? config["aws_session_token"])
        } else {
            throw LoomError(.configuration, """
                no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give the profile '\(profile)' \
                aws_access_key_id and aws_secret_access_key in ~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE)
                """)
        }
        guard let region = environment["AWS_REGION"].flatMap({ $0.isEmpty ? nil : $0 }) ?? value("AWS_DEFAULT_REGION", "region") else {
            throw LoomError(.configuration, "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION), or region in the profile '\(profile)' of ~/.aws/config")
        }
        var endpoints: [String: URL] = [:]
        func endpoint(_ text: String, _ origin: String) throws -> URL {
            guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
                throw LoomError(.configuration, "\(origin) is '\(text)', not an http:// or https:// URL")
            }
            return url
        }
        if let all = value("AWS_ENDPOINT_URL", "endpoint_url") { endpoints[""] = try endpoint(all, "AWS_ENDPOINT_URL") }
        for (variable, text) in environment where variable.hasPrefix("AWS_ENDPOINT_URL_") && !text.isEmpty {
            endpoints[String(variable.dropFirst("AWS_ENDPOINT_URL_".count)).lowercased()] = try endpoint(text, variable)
        }
        return AWSConfiguration(credentials: credentials, region: region, endpoints: endpoints)
    }

    /// Where `service`'s requests go: its override, the one for every service, or AWS's own
    /// (IAM is global: one endpoint, signed for us-east-1).
    public func endpoint(for service: String) -> URL {
        if let url = endpoints[service.lowercased()] ?? endpoints[""] { return url }
        if service == "iam" { return URL(string: "https://iam.amazonaws.com/")! }
        return URL(string: "https://\(service).\(region).amazonaws.com/")!
    }

    /// The region a request to `service` is signed for.
    public func signingRegion(for service: String) -> String { service == "iam" ? "us-east-1" : region }
}
