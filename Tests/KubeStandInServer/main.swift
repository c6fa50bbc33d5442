import Foundation
import KubernetesStandIn

// kube-standin --image NAME=PATH [--image …] [--kubeconfig PATH] [--user NAME=TOKEN[:VERB/RESOURCE,…]]
//              [--ignore-stdin]
//
// Starts a Kubernetes stand-in with those images (each runs PATH), writes a kubeconfig, prints
// `kubeconfig: PATH`, `node: ADDRESS` and `server: URL`, and runs until standard input closes
// (or, with --ignore-stdin, forever) or SIGTERM/SIGINT comes; then kills every pod and removes
// everything it made. Lines on standard input are commands for tests: `compact` (forget the
// event history: older watches get 410), `expire-watches` (end every watch), `next-names A,B`
// (the next generateName suffixes). `--user` adds a user (the kubeconfig is the first's; an
// admin is added when none is given); with permissions, RBAC allows only those.

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("kube-standin: \(message)\n".utf8))
    exit(2)
}

var images: [String: KubernetesStandIn.Image] = [:]
var kubeconfig: String?
var watchInput = true
var users: [KubernetesStandIn.User] = []
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--image":
        guard let value = arguments.popFirst(), let equals = value.firstIndex(of: "=") else { fail("--image wants NAME=PATH") }
        images[String(value[..<equals])] = .init(entrypoint: [String(value[value.index(after: equals)...])])
    case "--kubeconfig":
        guard let value = arguments.popFirst() else { fail("--kubeconfig wants a path") }
        kubeconfig = value
    case "--user":
        guard let value = arguments.popFirst(), let equals = value.firstIndex(of: "=") else { fail("--user wants NAME=TOKEN[:VERB/RESOURCE,…]") }
        let name = String(value[..<equals])
        let rest = value[value.index(after: equals)...].split(separator: ":", maxSplits: 1)
        let allowed = rest.count > 1 ? Set(rest[1].split(separator: ",").map { rule in
            let parts = rule.split(separator: "/", maxSplits: 1).map(String.init)
            return KubernetesStandIn.Permission(parts[0], parts.count > 1 ? parts[1] : "")
        }) : nil
        users.append(.init(name: name, token: String(rest.first ?? ""), allowed: allowed))
    case "--ignore-stdin":
        watchInput = false
    case "-h", "--help":
        print("usage: kube-standin --image NAME=PATH [--image …] [--kubeconfig PATH] [--ignore-stdin]")
        exit(0)
    default:
        fail("unknown argument \(argument)")
    }
}

enum Event: Sendable { case stop(String), command(String) }
let (events, input) = AsyncStream<Event>.makeStream()
let signalSources = [SIGTERM, SIGINT].map { signalNumber in
    signal(signalNumber, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
    source.setEventHandler { input.yield(.stop(signalNumber == SIGTERM ? "SIGTERM" : "SIGINT")) }
    source.resume()
    return source
}

let standIn: KubernetesStandIn
do {
    standIn = users.isEmpty ? try await KubernetesStandIn.start(images: images) : try await KubernetesStandIn.start(images: images, users: users)
    let path = try standIn.writeKubeconfig(path: kubeconfig ?? FileManager.default.temporaryDirectory.appendingPathComponent("kube-standin-\(getpid()).kubeconfig").path)
    // One write, unbuffered: whoever reads the pipe sees the lines at once.
    FileHandle.standardOutput.write(Data("kubeconfig: \(path)\nnode: \(standIn.nodeAddress)\nserver: \(standIn.url)\n".utf8))
} catch {
    fail("\(error)")
}

if watchInput {
    Thread.detachNewThread {
        while let line = readLine() { input.yield(.command(line.trimmingCharacters(in: .whitespaces))) }
        input.yield(.stop("standard input closed"))
    }
}

for await event in events {
    switch event {
    case .command("compact"): standIn.compact()
    case .command("expire-watches"): standIn.expireWatches()
    case .command(let line) where line.hasPrefix("next-names "):
        standIn.setNextGeneratedNames(line.dropFirst("next-names ".count).split(separator: ",").map(String.init))
    case .command(let other): if !other.isEmpty { FileHandle.standardError.write(Data("kube-standin: unknown command \(other)\n".utf8)) }
    case .stop(let why):
        FileHandle.standardError.write(Data("kube-standin: \(why); shutting down\n".utf8))
        await standIn.shutdown()
        if kubeconfig == nil { try? FileManager.default.removeItem(atPath: FileManager.default.temporaryDirectory.appendingPathComponent("kube-standin-\(getpid()).kubeconfig").path) }
        exit(0)
    }
}
withExtendedLifetime(signalSources) {}
