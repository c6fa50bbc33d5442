import Foundation

/// What an AWS service answered instead of a result, in its own words:
/// `AccessDenied: User: … is not authorized to perform: ecs:RunTask (ecs RunTask, HTTP 400)`.
public struct AWSError: Error, CustomStringConvertible, Sendable, Equatable {
    public var service: String
    public var action: String
    /// The service's error code (`AccessDenied`, `ThrottlingException`, `ClientException`).
    public var code: String
    public var message: String
    /// The HTTP status; 0 when no answer came (the endpoint could not be reached).
    public var status: Int

    public init(service: String, action: String, code: String, message: String, status: Int) {
        self.service = service
        self.action = action
        self.code = code
        self.message = message
        self.status = status
    }

    public var description: String {
        "\(code): \(message) (\(service) \(action)\(status > 0 ? ", HTTP \(status)" : ""))"
    }

    /// The error in an answer's body: JSON 1.1's `{"__type": "…#Code", "message": …}` or the
    /// Query protocol's `<Error><Code>…</Code><Message>…</Message></Error>` (which moto also
    /// answers JSON services with); the status alone when the body says nothing.
    static func parse(_ body: [UInt8], status: Int, service: String, action: String) -> AWSError {
        if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] {
            let type = (object["__type"] as? String) ?? (object["code"] as? String) ?? (object["Code"] as? String) ?? ""
            // `com.amazonaws.ecs#ClientException` or `ClientException:http://…`
            let code = type.split(separator: "#").last.map(String.init)?.split(separator: ":").first.map(String.init) ?? ""
            let message = (object["message"] as? String) ?? (object["Message"] as? String) ?? ""
            if !code.isEmpty || !message.isEmpty {
                return AWSError(service: service, action: action, code: code.isEmpty ? "HTTP\(status)" : code, message: message, status: status)
            }
        }
        if let tree = try? XMLTree.parse(body), let error = tree.name == "Error" ? tree : tree.descendants("Error").first {
            return AWSError(service: service, action: action, code: error["Code"] ?? "HTTP\(status)", message: error["Message"] ?? "", status: status)
        }
        let text = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return AWSError(service: service, action: action, code: "HTTP\(status)", message: text.isEmpty ? "no error in the answer" : text, status: status)
    }
}
