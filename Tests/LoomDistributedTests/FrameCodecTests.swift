import LoomCore
import NIOCore
import NIOEmbedded
import Testing
@testable import LoomDistributed
@testable import LoomRuntime

/// Frames on a stream: the length prefix NIO's decoder reads, whatever the chunking.
@Suite struct FrameCodecTests {
    /// One of every kind of frame body: a few messages, none, and a few more.
    let bodies = [Wire.encode([.releaseKeys(["a", "b"]), .closeClient]), Wire.encode([]),
                  Wire.encode([.data(request: 3, values: ["a": Array(repeating: 7, count: 1000)], missing: ["c"])])]

    @Test func framesSurviveEveryChunking() throws {
        var stream: [UInt8] = []
        for body in bodies {
            withUnsafeBytes(of: UInt32(body.count).littleEndian) { stream += $0 }
            stream += body
        }
        for chunk in [1, 2, 3, 7, 64, stream.count] {
            let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(maximumFrame: 1 << 20)))
            for start in stride(from: 0, to: stream.count, by: chunk) {
                try channel.writeInbound(ByteBuffer(bytes: stream[start..<min(start + chunk, stream.count)]))
            }
            var received: [[UInt8]] = []
            while let frame = try channel.readInbound(as: ByteBuffer.self) { received.append(Array(frame.readableBytesView)) }
            #expect(received == bodies, "chunk size \(chunk)")
            _ = try channel.finish()
        }
    }

    @Test func oversizedFramesAreRefusedBeforeBuffering() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(maximumFrame: 1000)))
        var header = ByteBuffer()
        header.writeInteger(UInt32(5000), endianness: .little)
        #expect(throws: FrameDecoder.FrameTooLarge.self) { try channel.writeInbound(header) }
    }
}
