import NIOCore

/// Splits a TCP stream into frames: a 4-byte little-endian length, then that many bytes.
///
/// A frame longer than the limit is refused before it is buffered, which closes that one
/// connection with an error naming the size; the server keeps serving everyone else.
struct FrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    let maximumFrame: Int

    struct FrameTooLarge: Error, CustomStringConvertible {
        let length: Int
        let maximum: Int
        var description: String { "a frame of \(length) bytes exceeds the limit of \(maximum) bytes" }
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, endianness: .little, as: UInt32.self) else {
            return .needMoreData
        }
        guard Int(length) <= maximumFrame else { throw FrameTooLarge(length: Int(length), maximum: maximumFrame) }
        guard buffer.readableBytes >= 4 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: Int(length))!))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// Writes frame bodies with their length in front.
struct FrameEncoder: MessageToByteEncoder {
    typealias OutboundIn = [UInt8]

    func encode(data: [UInt8], out: inout ByteBuffer) throws {
        out.reserveCapacity(4 + data.count)
        out.writeInteger(UInt32(data.count), endianness: .little)
        out.writeBytes(data)
    }
}
