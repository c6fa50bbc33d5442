import Foundation
import LoomCore

/// The worker side of the process pool: what a child process started by `ProcessPoolExecutor`
/// does inside `Loom.bootstrap`.
public enum ProcessWorker {
    /// Set in a child's environment to make `Loom.bootstrap` serve tasks instead of returning.
    static let modeVariable = "LOOM_WORKER_MODE"
    static let mode = "process-pool"
    /// The child's pipes and status page, set up by the parent before exec.
    static let taskDescriptor: Int32 = 3
    static let resultDescriptor: Int32 = 4
    static let statusDescriptor: Int32 = 5

    /// Whether this process was started as a pool worker (and has not started serving yet).
    static var wasStartedAsWorker: Bool {
        ProcessInfo.processInfo.environment[modeVariable] == mode
    }

    /// Serves tasks and exits if this process was started as a pool worker; returns otherwise.
    public static func runIfRequested(registry: TaskRegistry = .shared) {
        guard wasStartedAsWorker else { return }
        unsetenv(modeVariable)  // tasks that start processes must not make them workers too
        // Dying with the parent was armed at load time (CLOOM_DIE_WITH_PARENT).
        do {
            try serve(registry: registry)
            exit(0)
        } catch {
            writeToStandardError("loom process worker \(getpid()): \(error)\n")
            exit(3)
        }
    }

    private static func serve(registry: TaskRegistry) throws {
        var hello = PoolProtocol.encode(
            PoolProtocol.Hello(version: PoolProtocol.version, pid: getpid(), signatures: registry.signatures))
        try Frame.write(&hello, to: resultDescriptor)

        // The parent reads the task being run from this page if this process dies.
        let page = mmap(nil, 8, PROT_READ | PROT_WRITE, MAP_SHARED, statusDescriptor, 0)
        guard let page, page != MAP_FAILED else { throw POSIXError(.EIO) }
        let running = page.bindMemory(to: Int64.self, capacity: 1)

        var functions: [AnyTaskFunction?] = []
        let reader = FrameReader(descriptor: taskDescriptor)
        while let frame = try reader.next() {
            var results: ByteWriter?
            try frame.withUnsafeBytes { raw in
                var message = ByteReader(raw)
                switch PoolProtocol.Kind(rawValue: try message.readUInt8()) {
                case .functions:
                    functions = try PoolProtocol.decodeFunctions(&message).map(registry.function(named:))
                case .batch:
                    results = try run(batch: &message, functions: functions, running: running)
                default:
                    throw CodecError(.invalidTag, "unexpected message kind \(raw[0]) from the parent", offset: 0)
                }
            }
            if var results { try Frame.write(&results, to: resultDescriptor) }
        }
    }

    private static func run(batch message: inout ByteReader, functions: [AnyTaskFunction?], running: UnsafeMutablePointer<Int64>) throws -> ByteWriter {
        let started = ContinuousClock.now
        let count = try PoolProtocol.count(&message)
        var results = PoolProtocol.beginResults(count: count)
        var slices: [UnsafeRawBufferPointer] = []
        for _ in 0..<count {
            let task = try message.readVarUInt()
            let functionIndex = Int(try message.readVarUInt())
            slices.removeAll(keepingCapacity: true)
            for _ in 0..<(try PoolProtocol.count(&message)) { slices.append(try message.readLengthPrefixed()) }
            results.writeVarUInt(task)
            guard functionIndex < functions.count, let function = functions[functionIndex] else {
                results.writeUInt8(1)
                results.writeLengthPrefixed(Array("function #\(functionIndex) is not registered in worker \(getpid())".utf8))
                continue
            }
            running.pointee = Int64(task) + 1
            do {
                var arguments = EncodedArguments(slices, function: function.name)
                let value = try function.callEncoded(&arguments)
                results.writeUInt8(0)
                results.writeLengthPrefixed(value)
            } catch {
                results.writeUInt8(1)
                results.writeLengthPrefixed(Array(((error as? LoomError)?.message ?? String(describing: error)).utf8))
            }
        }
        running.pointee = 0
        PoolProtocol.finishResults(&results, seconds: (ContinuousClock.now - started).seconds)
        return results
    }
}
