import Foundation

/// An HTTP request as it is signed and sent: method, URL, headers (names as given), body.
struct AWSRequest: Sendable {
    var method: String
    var url: URL
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    init(method: String, url: URL, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
}
