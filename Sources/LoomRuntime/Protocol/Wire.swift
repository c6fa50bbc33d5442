import LoomCore

/// Encodes and decodes batches of messages: one frame's body (docs/protocol.md).
///
/// Body: varint header length, the header, then the attachments back to back. The header holds
/// the attachment count and lengths, then the message count and the messages. Encoded values
/// (`[UInt8]` fields) are attachments the messages refer to by index: a 100 MB result is
/// copied into the frame once and sliced out once, never walked or re-encoded.
public enum Wire {
    public static let protocolVersion: UInt64 = 9
    /// Frames larger than this close the connection (configurable per server).
    public static let defaultMaximumFrame = 1 << 30

    /// The body of one frame holding `messages`.
    public static func encode(_ messages: [Message]) -> [UInt8] {
        var encoder = Encoder()
        encoder.header.writeVarUInt(UInt64(messages.count))
        for message in messages { encoder.write(message) }
        var table = ByteWriter()
        table.writeVarUInt(UInt64(encoder.attachments.count))
        for attachment in encoder.attachments { table.writeVarUInt(UInt64(attachment.count)) }
        let headerLength = table.count + encoder.header.count
        var body = ByteWriter(capacity: headerLength + 10 + encoder.attachments.reduce(0) { $0 + $1.count })
        body.writeVarUInt(UInt64(headerLength))
        body.writeBytes(table.bytes)
        body.writeBytes(encoder.header.bytes)
        for attachment in encoder.attachments { body.writeBytes(attachment) }
        return body.bytes
    }

    /// The messages in one frame's body. Throws `CodecError` on anything malformed; never traps.
    public static func decode(_ body: UnsafeRawBufferPointer) throws -> [Message] {
        var reader = ByteReader(body)
        let headerLength = try Decoder.length(&reader)
        let headerStart = reader.offset
        guard headerLength <= reader.remaining else {
            throw CodecError(.truncated, "a header of \(headerLength) bytes runs past the frame's \(body.count)", offset: headerStart)
        }
        // The header reader ends where the header does but counts offsets from the frame's start.
        var header = ByteReader(UnsafeRawBufferPointer(rebasing: body[..<(headerStart + headerLength)]), offset: headerStart)
        var attachments: [UnsafeRawBufferPointer] = []
        var offset = headerStart + headerLength
        for _ in 0..<(try Decoder.count(&header)) {
            let length = try Decoder.length(&header)
            guard length <= body.count - offset else {
                throw CodecError(.truncated, "attachment \(attachments.count) of \(length) bytes runs past the frame", offset: offset)
            }
            attachments.append(UnsafeRawBufferPointer(rebasing: body[offset..<offset + length]))
            offset += length
        }
        guard offset == body.count else {
            throw CodecError(.trailingBytes, "\(body.count - offset) bytes after the last attachment", offset: offset)
        }
        var decoder = Decoder(reader: header, attachments: attachments)
        let count = try Decoder.count(&decoder.reader)
        var messages: [Message] = []
        messages.reserveCapacity(count)
        for _ in 0..<count { messages.append(try decoder.message()) }
        guard decoder.reader.isAtEnd else {
            throw CodecError(.trailingBytes, "\(decoder.reader.remaining) bytes after the last message", offset: decoder.reader.offset)
        }
        return messages
    }

    public static func decode(_ body: [UInt8]) throws -> [Message] {
        try body.withUnsafeBytes { try decode($0) }
    }

    /// Message kinds on the wire; numbers are part of the protocol and never reused.
    enum Kind: UInt8 {
        case hello = 1, welcome, refused
        case updateGraph = 10, releaseKeys, cancelKeys, whoHas, schedulerInfoRequest, scattered, restart, closeClient, logsRequest, pluginRequest
        case keyInMemory = 20, taskErred, keyCancelled, graphRejected, whoHasReply, schedulerInfo, restarted, logs, pluginReply
        case stillWaiting = 29  // client → scheduler: 10-19 are taken
        case fireAndForget = 60, retry  // client → scheduler, likewise
        case compute = 30, freeKeys, steal, holders, replicate, restartWorker, closeWorker, installPlugin
        case taskFinished = 40, taskFailed, stealResponse, heartbeat, fetchFailed, keysAdded, retireRequest, taskSeceded, pluginInstalled
        case getData = 50, data, putData, dataStored, runFunction, runResult, actorCall
    }
}
