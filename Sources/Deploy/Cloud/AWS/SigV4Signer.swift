import Crypto
import Foundation

/// Signature Version 4 (AWS's `AWS4-HMAC-SHA256`), as every AWS SDK signs: a canonical form of
/// the request, hashed into a string to sign, signed with a key derived from the secret for
/// the day, region and service. Pure: the time is given.
struct SigV4Signer: Sendable {
    var credentials: AWSCredentials
    var region: String
    var service: String

    /// `request` with `X-Amz-Date`, the session token if any, and `Authorization` added, every
    /// header it already had signed.
    func signed(_ request: AWSRequest, at date: Date) -> AWSRequest {
        var request = request
        let (amzDate, day) = Self.timestamps(date)
        request.headers.removeAll { ["authorization", "x-amz-date", "x-amz-security-token"].contains($0.name.lowercased()) }
        if request.header("host") == nil, let host = request.url.host {
            let port = request.url.port.map { ":\($0)" } ?? ""
            request.headers.append(("Host", host + port))
        }
        request.headers.append(("X-Amz-Date", amzDate))
        if let token = credentials.sessionToken { request.headers.append(("X-Amz-Security-Token", token)) }
        let (canonical, signedHeaders) = Self.canonicalRequest(request)
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let toSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n\(Self.hex(SHA256.hash(data: Array(canonical.utf8))))"
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Array(toSign.utf8), using: signingKey(day: day)))
        request.headers.append(("Authorization", "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"))
        // The Host header is the HTTP client's to send; it was signed as it will go.
        request.headers.removeAll { $0.name == "Host" }
        return request
    }

    /// The key for one day, region and service: the HMAC chain from `AWS4` + the secret.
    func signingKey(day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return key
    }

    /// The canonical request and the signed headers' names (`content-type;host;x-amz-date`).
    static func canonicalRequest(_ request: AWSRequest) -> (String, String) {
        var byName: [String: [String]] = [:]
        for (name, value) in request.headers {
            byName[name.lowercased(), default: []].append(value.split(whereSeparator: \.isWhitespace).joined(separator: " "))
        }
        let names = byName.keys.sorted()
        let headers = names.map { "\($0):\(byName[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let components = URLComponents(url: request.url, resolvingAgainstBaseURL: false)
        let path = components?.percentEncodedPath ?? "/"
        let canonical = [
            request.method.uppercased(), canonicalPath(path.isEmpty ? "/" : path), canonicalQuery(components?.percentEncodedQuery ?? ""),
            headers, signedHeaders, hex(SHA256.hash(data: request.body)),
        ].joined(separator: "\n")
        return (canonical, signedHeaders)
    }

    /// The path as sent, encoded once more (every service but S3 signs it so).
    static func canonicalPath(_ encodedPath: String) -> String {
        encodedPath.split(separator: "/", omittingEmptySubsequences: false).map { uriEncode(String($0)) }.joined(separator: "/")
    }

    /// Pairs decoded, each side encoded the one way (RFC 3986's unreserved characters kept),
    /// sorted by name, then value.
    static func canonicalQuery(_ encodedQuery: String) -> String {
        guard !encodedQuery.isEmpty else { return "" }
        let pairs = encodedQuery.split(separator: "&").map { pair -> (String, String) in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decoded(_ text: Substring) -> String { String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text) }
            return (uriEncode(decoded(parts[0])), uriEncode(parts.count > 1 ? decoded(parts[1]) : ""))
        }
        return pairs.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// Percent-encodes every byte but `A–Z a–z 0–9 - _ . ~`, in upper-case hex.
    static func uriEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 15, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// `20150830T123600Z` and `20150830`, in UTC.
    static func timestamps(_ date: Date) -> (String, String) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        let day = String(format: "%04d", c.year ?? 0) + two(c.month) + two(c.day)
        return (day + "T" + two(c.hour) + two(c.minute) + two(c.second) + "Z", day)
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for byte in bytes { out += [digits[Int(byte >> 4)], digits[Int(byte & 15)]] }
        return String(decoding: out, as: UTF8.self)
    }
}
