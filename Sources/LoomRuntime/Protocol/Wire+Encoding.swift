import LoomCore

extension Wire {
    struct Encoder {
        var header = ByteWriter(capacity: 256)
        var attachments: [[UInt8]] = []

        mutating func write(_ message: Message) {
            switch message {
            case .hello(let hello):
                kind(.hello)
                header.writeVarUInt(hello.protocolVersion)
                header.writeUInt8(hello.role.rawValue)
                header.writeString(hello.name)
                header.writeString(hello.address)
                header.writeVarUInt(UInt64(hello.threads))
                header.writeVarUInt(hello.memoryLimit)
                write(hello.resources)
                write(hello.functions)
                header.writeUInt8(hello.supervised ? 1 : 0)
            case .welcome(let welcome):
                kind(.welcome)
                header.writeVarUInt(welcome.protocolVersion)
                header.writeString(welcome.scheduler)
                header.writeString(welcome.dashboard)
            case .refused(let reason):
                kind(.refused)
                header.writeString(reason)
            case .updateGraph(let tasks, let wanted, let functions):
                kind(.updateGraph)
                header.writeVarUInt(UInt64(tasks.count))
                for task in tasks { write(task) }
                write(wanted)
                write(functions)
            case .releaseKeys(let keys):
                kind(.releaseKeys)
                write(keys)
            case .cancelKeys(let keys):
                kind(.cancelKeys)
                write(keys)
            case .stillWaiting(let keys):
                kind(.stillWaiting)
                write(keys)
            case .fireAndForget(let keys):
                kind(.fireAndForget)
                write(keys)
            case .retry(let keys):
                kind(.retry)
                write(keys)
            case .whoHas(let request, let keys):
                kind(.whoHas)
                header.writeVarUInt(request)
                write(keys)
            case .schedulerInfoRequest(let request):
                kind(.schedulerInfoRequest)
                header.writeVarUInt(request)
            case .scattered(let values):
                kind(.scattered)
                header.writeVarUInt(UInt64(values.count))
                for value in values {
                    header.writeKey(value.key)
                    header.writeVarUInt(value.nbytes)
                    write(value.holders)
                }
            case .keyInMemory(let key, let nbytes, let holders):
                kind(.keyInMemory)
                header.writeKey(key)
                header.writeVarUInt(nbytes)
                write(holders)
            case .taskErred(let key, let function, let message, let errorType):
                kind(.taskErred)
                header.writeKey(key)
                header.writeString(function)
                header.writeString(message)
                header.writeString(errorType)
            case .keyCancelled(let key):
                kind(.keyCancelled)
                header.writeKey(key)
            case .graphRejected(let message):
                kind(.graphRejected)
                header.writeString(message)
            case .whoHasReply(let request, let holders):
                kind(.whoHasReply)
                header.writeVarUInt(request)
                write(holders)
            case .schedulerInfo(let request, let workers):
                kind(.schedulerInfo)
                header.writeVarUInt(request)
                header.writeVarUInt(UInt64(workers.count))
                for worker in workers {
                    header.writeString(worker.name)
                    header.writeString(worker.address)
                    header.writeVarUInt(UInt64(worker.threads))
                    header.writeVarUInt(worker.memoryLimit)
                    header.writeVarUInt(UInt64(worker.processing))
                    header.writeVarUInt(UInt64(worker.inMemory))
                    write(worker.metrics)
                }
            case .compute(let request):
                kind(.compute)
                write(request.task)
                write(request.holders)
                header.writeVarInt(request.run)
                header.writeVarInt(request.generation)
            case .freeKeys(let keys):
                kind(.freeKeys)
                write(keys)
            case .steal(let key, let run):
                kind(.steal)
                header.writeKey(key)
                header.writeVarInt(run)
            case .taskFinished(let key, let run, let nbytes, let seconds, let timing):
                kind(.taskFinished)
                header.writeKey(key)
                header.writeVarInt(run)
                header.writeVarUInt(nbytes)
                header.writeFixed64LE(seconds.bitPattern)
                header.writeFixed64LE(timing.startedAt.bitPattern)
                header.writeVarUInt(UInt64(max(0, timing.thread)))
                header.writeFixed64LE(timing.serializationSeconds.bitPattern)
            case .taskFailed(let key, let run, let message, let errorType):
                kind(.taskFailed)
                header.writeKey(key)
                header.writeVarInt(run)
                header.writeString(message)
                header.writeString(errorType)
            case .taskSeceded(let key, let run):
                kind(.taskSeceded)
                header.writeKey(key)
                header.writeVarInt(run)
            case .stealResponse(let key, let run, let accepted):
                kind(.stealResponse)
                header.writeKey(key)
                header.writeVarInt(run)
                header.writeUInt8(accepted ? 1 : 0)
            case .holders(let key, let addresses):
                kind(.holders)
                header.writeKey(key)
                write(addresses)
            case .fetchFailed(let key, let holders):
                kind(.fetchFailed)
                header.writeKey(key)
                write(holders)
            case .heartbeat(let metrics):
                kind(.heartbeat)
                write(metrics)
            case .restart(let request, let timeout):
                kind(.restart)
                header.writeVarUInt(request)
                header.writeFixed64LE(timeout.bitPattern)
            case .restarted(let request, let error):
                kind(.restarted)
                header.writeVarUInt(request)
                header.writeUInt8(error == nil ? 0 : 1)
                if let error { header.writeString(error) }
            case .restartWorker:
                kind(.restartWorker)
            case .closeWorker:
                kind(.closeWorker)
            case .retireRequest:
                kind(.retireRequest)
            case .installPlugin(let type, let options):
                kind(.installPlugin)
                header.writeString(type)
                attach(options)
            case .pluginInstalled(let type, let error):
                kind(.pluginInstalled)
                header.writeString(type)
                header.writeUInt8(error == nil ? 0 : 1)
                if let error { header.writeString(error) }
            case .closeClient:
                kind(.closeClient)
            case .pluginRequest(let request, let plugin, let payload):
                kind(.pluginRequest)
                header.writeVarUInt(request)
                header.writeString(plugin)
                attach(payload)
            case .pluginReply(let request, let payload, let error):
                kind(.pluginReply)
                header.writeVarUInt(request)
                attach(payload)
                header.writeUInt8(error == nil ? 0 : 1)
                if let error { header.writeString(error) }
            case .logsRequest(let request, let count):
                kind(.logsRequest)
                header.writeVarUInt(request)
                header.writeVarUInt(count)
            case .logs(let request, let records):
                kind(.logs)
                header.writeVarUInt(request)
                header.writeVarUInt(UInt64(records.count))
                for record in records {
                    header.writeFixed64LE(record.time.bitPattern)
                    header.writeString(record.level)
                    header.writeString(record.label)
                    header.writeString(record.message)
                }
            case .replicate(let keys):
                kind(.replicate)
                write(keys)
            case .keysAdded(let keys):
                kind(.keysAdded)
                header.writeVarUInt(UInt64(keys.count))
                for (key, nbytes) in keys.sorted(by: { $0.key < $1.key }) {
                    header.writeKey(key)
                    header.writeVarUInt(nbytes)
                }
            case .getData(let request, let keys):
                kind(.getData)
                header.writeVarUInt(request)
                write(keys)
            case .data(let request, let values, let missing):
                kind(.data)
                header.writeVarUInt(request)
                write(values)
                write(missing)
            case .putData(let request, let values):
                kind(.putData)
                header.writeVarUInt(request)
                write(values)
            case .dataStored(let request):
                kind(.dataStored)
                header.writeVarUInt(request)
            case .runFunction(let request, let function, let arguments):
                kind(.runFunction)
                header.writeVarUInt(request)
                header.writeString(function)
                header.writeVarUInt(UInt64(arguments.count))
                for argument in arguments { attach(argument) }
            case .actorCall(let request, let actor, let method, let arguments):
                kind(.actorCall)
                header.writeVarUInt(request)
                header.writeKey(actor)
                header.writeString(method)
                header.writeVarUInt(UInt64(arguments.count))
                for argument in arguments { attach(argument) }
            case .runResult(let request, let value, let error):
                kind(.runResult)
                header.writeVarUInt(request)
                attach(value)
                header.writeUInt8(error == nil ? 0 : 1)
                if let error { header.writeString(error) }
            }
        }

        private mutating func kind(_ kind: Kind) { header.writeUInt8(kind.rawValue) }

        private mutating func attach(_ bytes: [UInt8]) {
            header.writeVarUInt(UInt64(attachments.count))
            attachments.append(bytes)
        }

        private mutating func write(_ values: [Key: [UInt8]]) {
            header.writeVarUInt(UInt64(values.count))
            for (key, value) in values.sorted(by: { $0.key < $1.key }) {
                header.writeKey(key)
                attach(value)
            }
        }

        private mutating func write(_ metrics: WorkerMetrics) {
            header.writeVarUInt(metrics.managedBytes)
            header.writeVarUInt(metrics.spilledBytes)
            header.writeVarUInt(metrics.processBytes)
            header.writeUInt8(metrics.paused ? 1 : 0)
            header.writeVarUInt(metrics.spillWrittenBytes)
            header.writeFixed64LE(metrics.spillWriteSeconds.bitPattern)
            header.writeVarUInt(UInt64(metrics.phases.count))
            for (prefix, phase) in metrics.phases.sorted(by: { $0.key < $1.key }) {
                header.writeString(prefix)
                header.writeFixed64LE(phase.transferSeconds.bitPattern)
                header.writeVarUInt(phase.transferBytes)
                header.writeFixed64LE(phase.diskSeconds.bitPattern)
            }
        }

        private mutating func write(_ keys: [Key]) {
            header.writeVarUInt(UInt64(keys.count))
            for key in keys { header.writeKey(key) }
        }

        private mutating func write(_ strings: [String]) {
            header.writeVarUInt(UInt64(strings.count))
            for string in strings { header.writeString(string) }
        }

        private mutating func write(_ map: [String: String]) {
            header.writeVarUInt(UInt64(map.count))
            for (key, value) in map.sorted(by: { $0.key < $1.key }) {
                header.writeString(key)
                header.writeString(value)
            }
        }

        private mutating func write(_ map: [String: Double]) {
            header.writeVarUInt(UInt64(map.count))
            for (key, value) in map.sorted(by: { $0.key < $1.key }) {
                header.writeString(key)
                header.writeFixed64LE(value.bitPattern)
            }
        }

        private mutating func write(_ map: [Key: [String]]) {
            header.writeVarUInt(UInt64(map.count))
            for (key, value) in map.sorted(by: { $0.key < $1.key }) {
                header.writeKey(key)
                write(value)
            }
        }

        private mutating func write(_ task: WireTask) {
            header.writeKey(task.key)
            header.writeString(task.function)
            header.writeVarUInt(UInt64(task.arguments.count))
            for argument in task.arguments { write(argument) }
            header.writeVarInt(task.order)
            header.writeVarInt(task.priority)
            header.writeVarInt(task.retries)
            write(task.workers)
            header.writeUInt8(task.allowOtherWorkers ? 1 : 0)
            write(task.resources)
        }

        private mutating func write(_ argument: WireArgument) {
            switch argument {
            case .value(let bytes):
                header.writeUInt8(0)
                attach(bytes)
            case .key(let key):
                header.writeUInt8(1)
                header.writeKey(key)
            case .list(let parts):
                header.writeUInt8(2)
                header.writeVarUInt(UInt64(parts.count))
                for part in parts { write(part) }
            }
        }
    }
}
