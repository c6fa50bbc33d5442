import LoomCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// Blocking TCP for the shuffle's peer traffic: task functions are synchronous and run on the
/// worker's task threads, so a fetch blocks its thread as reading a file would.
enum ShuffleSockets {
    static var streamType: Int32 {
        #if canImport(Glibc)
        Int32(SOCK_STREAM.rawValue)
        #else
        SOCK_STREAM
        #endif
    }

    static func failure(_ what: String) -> LoomError {
        LoomError(.invalidArgument, "\(what): \(String(cString: strerror(errno)))")
    }

    private static func addresses(_ host: String, _ port: Int, passive: Bool) throws -> UnsafeMutablePointer<addrinfo> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = streamType
        if passive { hints.ai_flags = AI_PASSIVE }
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &result)
        guard status == 0, let result else {
            throw LoomError(.invalidArgument, "cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        return result
    }

    /// A socket listening on `host` at a port the system picks, and that port.
    static func listen(host: String) throws -> (socket: Int32, port: Int) {
        let list = try addresses(host, 0, passive: true)
        defer { freeaddrinfo(list) }
        let info = list.pointee
        let fd = socket(info.ai_family, info.ai_socktype, info.ai_protocol)
        guard fd >= 0 else { throw failure("cannot open a shuffle socket") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, info.ai_addr, info.ai_addrlen) == 0, Glibc_listen(fd, 64) == 0 else {
            let error = failure("cannot listen for shuffle peers on \(host)")
            close(fd)
            throw error
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let port = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address -> Int in
                getsockname(fd, address, &length)
                if Int32(address.pointee.sa_family) == AF_INET6 {
                    return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
                }
                return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            }
        }
        return (fd, port)
    }

    static func connect(host: String, port: Int) throws -> Int32 {
        let list = try addresses(host, port, passive: false)
        defer { freeaddrinfo(list) }
        let info = list.pointee
        let fd = socket(info.ai_family, info.ai_socktype, info.ai_protocol)
        guard fd >= 0 else { throw failure("cannot open a shuffle socket") }
        guard Glibc_connect(fd, info.ai_addr, info.ai_addrlen) == 0 else {
            let error = failure("cannot reach the shuffle service at \(host):\(port)")
            close(fd)
            throw error
        }
        ignoreBrokenPipes(fd)
        return fd
    }

    /// Reads and writes that give up after `seconds`: a peer that stops mid-request cannot hold
    /// the service's one serving thread.
    static func limitWaits(_ fd: Int32, seconds: Int) {
        var limit = timeval()
        limit.tv_sec = seconds
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    /// A peer gone mid-send is an error, not a SIGPIPE (Linux passes MSG_NOSIGNAL to each send;
    /// Darwin has no such flag, only the socket option).
    static func ignoreBrokenPipes(_ fd: Int32) {
        #if canImport(Darwin)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &yes, socklen_t(MemoryLayout<Int32>.size))
        #endif
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let count = send(fd, bytes.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL_OR_ZERO))
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw failure("a shuffle connection broke while sending") }
            done += count
        }
    }

    /// Exactly `count` bytes into `buffer`; false if the peer closed first.
    static func readExactly(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws -> Bool {
        var done = 0
        while done < buffer.count {
            let count = recv(fd, buffer.baseAddress! + done, buffer.count - done, 0)
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw failure("a shuffle connection broke while receiving") }
            if count == 0 { return false }
            done += count
        }
        return true
    }
}

// The system's listen and connect, named apart from the methods above.
private func Glibc_listen(_ fd: Int32, _ backlog: Int32) -> Int32 { listen(fd, backlog) }
private func Glibc_connect(_ fd: Int32, _ address: UnsafePointer<sockaddr>?, _ length: socklen_t) -> Int32 { connect(fd, address, length) }

#if canImport(Glibc) || canImport(Musl)
private let MSG_NOSIGNAL_OR_ZERO = Int32(MSG_NOSIGNAL)
#else
private let MSG_NOSIGNAL_OR_ZERO: Int32 = 0
#endif
