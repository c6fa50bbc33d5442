import LoomCore
import Logging
import NIOCore
import NIOPosix

/// A TCP (or TLS) connection carrying frames: bodies in, bodies out.
typealias FrameChannel = NIOAsyncChannel<ByteBuffer, [UInt8]>

/// Opening and accepting framed connections on NIO's shared event loops.
enum Transport {
    static var group: MultiThreadedEventLoopGroup { .singleton }

    private static func framed(_ channel: Channel, maximumFrame: Int) throws -> FrameChannel {
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FrameDecoder(maximumFrame: maximumFrame)))
        try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(FrameEncoder()))
        return try FrameChannel(wrappingChannelSynchronously: channel)
    }

    /// Connects to `address`: over TLS for `tls://`, once the handshake succeeded (the error
    /// says why it did not).
    static func connect(to address: Address, security: TransportSecurity? = nil, maximumFrame: Int = Wire.defaultMaximumFrame) async throws
        -> FrameChannel
    {
        try TransportSecurity.check(address, security)
        let secure = address.scheme == .tls ? security : nil
        let (channel, handshake): (FrameChannel, EventLoopFuture<Void>?)
        do {
            (channel, handshake) = try await ClientBootstrap(group: group)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: address.host, port: address.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let handshake = try secure?.secure(channel, accepting: false)
                        return (try framed(channel, maximumFrame: maximumFrame), handshake)
                    }
                }
        } catch {
            throw TransportError("cannot connect to \(address): \(error)")
        }
        do {
            try await handshake?.get()
        } catch {
            try? await channel.channel.close()
            throw TransportError("cannot connect to \(address): \(error)")
        }
        return channel
    }

    /// Listens on `host:port`; with `security`, every accepted connection is TLS (a handshake
    /// that fails ends only that connection, with the reason as its error).
    static func listen(host: String, port: Int, security: TransportSecurity? = nil, maximumFrame: Int = Wire.defaultMaximumFrame) async throws
        -> NIOAsyncChannel<FrameChannel, Never>
    {
        do {
            return try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .bind(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        _ = try security?.secure(channel, accepting: true)
                        return try framed(channel, maximumFrame: maximumFrame)
                    }
                }
        } catch {
            throw TransportError("cannot listen on \(host):\(port): \(error)")
        }
    }
}

extension NIOAsyncChannelOutboundWriter<[UInt8]> {
    func send(_ messages: [Message]) async throws {
        try await write(Wire.encode(messages))
    }
}

/// Decodes each frame into messages; a frame that does not decode ends the sequence with an
/// error naming what was wrong, which closes that one connection.
struct MessageBatches: AsyncSequence {
    typealias Element = [Message]
    let frames: NIOAsyncChannelInboundStream<ByteBuffer>

    struct AsyncIterator: AsyncIteratorProtocol {
        var frames: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
        mutating func next() async throws -> [Message]? {
            guard let frame = try await frames.next() else { return nil }
            return try frame.withUnsafeReadableBytes { try Wire.decode($0) }
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(frames: frames.makeAsyncIterator()) }
}
