import LoomCore

extension Wire {
    /// Reads messages from a frame header; every count, length, index and nesting level is
    /// checked before use, so arbitrary bytes give a `CodecError`, never a crash.
    struct Decoder {
        var reader: ByteReader
        let attachments: [UnsafeRawBufferPointer]
        static let maximumArgumentDepth = 32

        /// A count of items that each take at least one byte.
        static func count(_ reader: inout ByteReader) throws -> Int {
            let value = try reader.readVarUInt()
            guard value <= UInt64(reader.remaining) else {
                throw CodecError(.invalidLength, "count \(value) exceeds the \(reader.remaining) bytes left", offset: reader.offset)
            }
            return Int(value)
        }

        static func length(_ reader: inout ByteReader) throws -> Int {
            let value = try reader.readVarUInt()
            guard value <= UInt64(Int32.max) * 2 else {
                throw CodecError(.invalidLength, "length \(value) is too large", offset: reader.offset)
            }
            return Int(value)
        }

        mutating func message() throws -> Message {
            let kindOffset = reader.offset
            let raw = try reader.readUInt8()
            guard let kind = Kind(rawValue: raw) else {
                throw CodecError(.invalidTag, "unknown message kind \(raw)", offset: kindOffset)
            }
            switch kind {
            case .hello:
                let version = try reader.readVarUInt()
                let roleByte = try reader.readUInt8()
                guard let role = Hello.Role(rawValue: roleByte) else {
                    throw CodecError(.invalidValue, "unknown role \(roleByte)", offset: reader.offset - 1)
                }
                return .hello(Hello(
                    protocolVersion: version, role: role, name: try reader.readString(), address: try reader.readString(),
                    threads: try int(), memoryLimit: try reader.readVarUInt(), resources: try doubleMap(), functions: try stringMap(),
                    supervised: version >= 2 ? try flag("supervised") : false))  // older hellos are refused by version
            case .welcome:
                return .welcome(Welcome(protocolVersion: try reader.readVarUInt(), scheduler: try reader.readString(), dashboard: try reader.readString()))
            case .refused:
                return .refused(try reader.readString())
            case .updateGraph:
                let tasks = try (0..<Self.count(&reader)).map { _ in try task() }
                return .updateGraph(tasks: tasks, wanted: try keys(), functions: try stringMap())
            case .releaseKeys: return .releaseKeys(try keys())
            case .stillWaiting: return .stillWaiting(try keys())
            case .fireAndForget: return .fireAndForget(try keys())
            case .retry: return .retry(try keys())
            case .cancelKeys: return .cancelKeys(try keys())
            case .whoHas: return .whoHas(request: try reader.readVarUInt(), keys: try keys())
            case .schedulerInfoRequest: return .schedulerInfoRequest(request: try reader.readVarUInt())
            case .scattered:
                return .scattered(try (0..<Self.count(&reader)).map { _ in
                    ScatteredValue(key: try reader.readKey(), nbytes: try reader.readVarUInt(), holders: try strings())
                })
            case .keyInMemory:
                return .keyInMemory(key: try reader.readKey(), nbytes: try reader.readVarUInt(), holders: try strings())
            case .taskErred:
                return .taskErred(
                    key: try reader.readKey(), function: try reader.readString(), message: try reader.readString(), errorType: try reader.readString())
            case .keyCancelled: return .keyCancelled(key: try reader.readKey())
            case .graphRejected: return .graphRejected(message: try reader.readString())
            case .whoHasReply: return .whoHasReply(request: try reader.readVarUInt(), holders: try listMap())
            case .schedulerInfo:
                let request = try reader.readVarUInt()
                let workers = try (0..<Self.count(&reader)).map { _ in
                    WorkerSummary(
                        name: try reader.readString(), address: try reader.readString(), threads: try int(),
                        memoryLimit: try reader.readVarUInt(), processing: try int(), inMemory: try int(), metrics: try metrics())
                }
                return .schedulerInfo(request: request, workers: workers)
            case .compute:
                return .compute(ComputeRequest(task: try task(), holders: try listMap(), run: try reader.readVarInt(), generation: try reader.readVarInt()))
            case .freeKeys: return .freeKeys(try keys())
            case .steal: return .steal(key: try reader.readKey(), run: try reader.readVarInt())
            case .taskFinished:
                return .taskFinished(
                    key: try reader.readKey(), run: try reader.readVarInt(), nbytes: try reader.readVarUInt(),
                    seconds: Double(bitPattern: try reader.readFixed64LE()),
                    timing: TaskTiming(
                        startedAt: Double(bitPattern: try reader.readFixed64LE()), thread: try int(),
                        serializationSeconds: Double(bitPattern: try reader.readFixed64LE())))
            case .taskFailed:
                return .taskFailed(key: try reader.readKey(), run: try reader.readVarInt(), message: try reader.readString(), errorType: try reader.readString())
            case .taskSeceded: return .taskSeceded(key: try reader.readKey(), run: try reader.readVarInt())
            case .stealResponse:
                return .stealResponse(key: try reader.readKey(), run: try reader.readVarInt(), accepted: try reader.readUInt8() != 0)
            case .heartbeat: return .heartbeat(try metrics())
            case .replicate: return .replicate(try listMap())
            case .restart: return .restart(request: try reader.readVarUInt(), timeout: Double(bitPattern: try reader.readFixed64LE()))
            case .restarted:
                let request = try reader.readVarUInt()
                return .restarted(request: request, error: try flag("error") ? try reader.readString() : nil)
            case .restartWorker: return .restartWorker
            case .closeWorker: return .closeWorker
            case .retireRequest: return .retireRequest
            case .installPlugin: return .installPlugin(type: try reader.readString(), options: Array(try attachment()))
            case .pluginInstalled:
                let type = try reader.readString()
                return .pluginInstalled(type: type, error: try flag("plugin installed") ? try reader.readString() : nil)
            case .closeClient: return .closeClient
            case .pluginRequest:
                return .pluginRequest(request: try reader.readVarUInt(), plugin: try reader.readString(), payload: Array(try attachment()))
            case .pluginReply:
                let request = try reader.readVarUInt()
                let payload = Array(try attachment())
                return .pluginReply(request: request, payload: payload, error: try flag("plugin reply") ? try reader.readString() : nil)
            case .logsRequest: return .logsRequest(request: try reader.readVarUInt(), count: try reader.readVarUInt())
            case .logs:
                let request = try reader.readVarUInt()
                let records = try (0..<Self.count(&reader)).map { _ in
                    LogRecord(
                        time: Double(bitPattern: try reader.readFixed64LE()), level: try reader.readString(),
                        label: try reader.readString(), message: try reader.readString())
                }
                return .logs(request: request, records: records)
            case .keysAdded:
                var keys: [Key: UInt64] = [:]
                for _ in 0..<(try Self.count(&reader)) { keys[try reader.readKey()] = try reader.readVarUInt() }
                return .keysAdded(keys)
            case .holders: return .holders(key: try reader.readKey(), addresses: try strings())
            case .fetchFailed: return .fetchFailed(key: try reader.readKey(), holders: try strings())
            case .getData: return .getData(request: try reader.readVarUInt(), keys: try keys())
            case .data:
                return .data(request: try reader.readVarUInt(), values: try valueMap(), missing: try keys())
            case .putData: return .putData(request: try reader.readVarUInt(), values: try valueMap())
            case .dataStored: return .dataStored(request: try reader.readVarUInt())
            case .runFunction:
                return .runFunction(
                    request: try reader.readVarUInt(), function: try reader.readString(),
                    arguments: try (0..<Self.count(&reader)).map { _ in Array(try attachment()) })
            case .actorCall:
                return .actorCall(
                    request: try reader.readVarUInt(), actor: try reader.readKey(), method: try reader.readString(),
                    arguments: try (0..<Self.count(&reader)).map { _ in Array(try attachment()) })
            case .runResult:
                let request = try reader.readVarUInt()
                let value = Array(try attachment())
                return .runResult(request: request, value: value, error: try flag("run result") ? try reader.readString() : nil)
            }
        }

        private mutating func flag(_ name: String) throws -> Bool {
            let byte = try reader.readUInt8()
            guard byte <= 1 else { throw CodecError(.invalidValue, "\(name) flag \(byte) is neither 0 nor 1", offset: reader.offset - 1) }
            return byte == 1
        }

        private mutating func int() throws -> Int {
            let value = try reader.readVarUInt()
            guard let int = Int(exactly: value), int <= Int(Int32.max) else {
                throw CodecError(.numberOutOfRange, "\(value) is out of range", offset: reader.offset)
            }
            return int
        }

        private mutating func attachment() throws -> UnsafeRawBufferPointer {
            let index = try reader.readVarUInt()
            guard index < UInt64(attachments.count) else {
                throw CodecError(.invalidValue, "attachment \(index) does not exist (\(attachments.count) attached)", offset: reader.offset)
            }
            return attachments[Int(index)]
        }

        private mutating func metrics() throws -> WorkerMetrics {
            WorkerMetrics(
                managedBytes: try reader.readVarUInt(), spilledBytes: try reader.readVarUInt(), processBytes: try reader.readVarUInt(),
                paused: try flag("paused"), spillWrittenBytes: try reader.readVarUInt(),
                spillWriteSeconds: Double(bitPattern: try reader.readFixed64LE()), phases: try phases())
        }

        private mutating func phases() throws -> [String: PhaseTotals] {
            var phases: [String: PhaseTotals] = [:]
            for _ in 0..<(try Self.count(&reader)) {
                phases[try reader.readString()] = PhaseTotals(
                    transferSeconds: Double(bitPattern: try reader.readFixed64LE()), transferBytes: try reader.readVarUInt(),
                    diskSeconds: Double(bitPattern: try reader.readFixed64LE()))
            }
            return phases
        }

        private mutating func valueMap() throws -> [Key: [UInt8]] {
            var values: [Key: [UInt8]] = [:]
            for _ in 0..<(try Self.count(&reader)) { values[try reader.readKey()] = Array(try attachment()) }
            return values
        }

        private mutating func keys() throws -> [Key] {
            try (0..<Self.count(&reader)).map { _ in try reader.readKey() }
        }

        private mutating func strings() throws -> [String] {
            try (0..<Self.count(&reader)).map { _ in try reader.readString() }
        }

        private mutating func stringMap() throws -> [String: String] {
            var map: [String: String] = [:]
            for _ in 0..<(try Self.count(&reader)) { map[try reader.readString()] = try reader.readString() }
            return map
        }

        private mutating func doubleMap() throws -> [String: Double] {
            var map: [String: Double] = [:]
            for _ in 0..<(try Self.count(&reader)) { map[try reader.readString()] = Double(bitPattern: try reader.readFixed64LE()) }
            return map
        }

        private mutating func listMap() throws -> [Key: [String]] {
            var map: [Key: [String]] = [:]
            for _ in 0..<(try Self.count(&reader)) { map[try reader.readKey()] = try strings() }
            return map
        }

        private mutating func task() throws -> WireTask {
            WireTask(
                key: try reader.readKey(), function: try reader.readString(),
                arguments: try (0..<Self.count(&reader)).map { _ in try argument(depth: 0) },
                order: try reader.readVarInt(), priority: try reader.readVarInt(), retries: try reader.readVarInt(),
                workers: try strings(), allowOtherWorkers: try reader.readUInt8() != 0, resources: try doubleMap())
        }

        private mutating func argument(depth: Int) throws -> WireArgument {
            guard depth < Self.maximumArgumentDepth else {
                throw CodecError(.depthLimitExceeded, "arguments nest deeper than \(Self.maximumArgumentDepth)", offset: reader.offset)
            }
            let tag = try reader.readUInt8()
            switch tag {
            case 0: return .value(Array(try attachment()))
            case 1: return .key(try reader.readKey())
            case 2: return .list(try (0..<Self.count(&reader)).map { _ in try argument(depth: depth + 1) })
            default: throw CodecError(.invalidTag, "unknown argument tag \(tag)", offset: reader.offset - 1)
            }
        }
    }
}
