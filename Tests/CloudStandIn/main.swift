import Foundation
import Loom
import LoomTestSupport

// moto and the task agent for bench/run's cloud workloads, both sides against the same ones:
//
//     cloud-standin --python PYTHON [--image NAME=PROGRAM | --image NAME=as-given] ...
//
// PYTHON has moto installed. A task whose image is NAME runs PROGRAM in place of its command's
// first word (a Loom program), or its command as given on this process's PATH (a peer's
// image). Prints `endpoint: URL` once moto and the agent run; ends, stopping every task's
// process and moto, when its standard input closes.
var python: String?
var images: [String: ECSTaskAgent.ImageProgram] = [:]
var arguments = CommandLine.arguments.dropFirst()
while let option = arguments.popFirst() {
    guard let value = arguments.popFirst() else { fatalError("\(option) needs a value") }
    switch option {
    case "--python": python = value
    case "--image":
        guard let split = value.firstIndex(of: "=") else { fatalError("--image takes NAME=PROGRAM or NAME=as-given, not \(value)") }
        let program = String(value[value.index(after: split)...])
        images[String(value[..<split])] = program == "as-given" ? .commandAsGiven : .executable(program)
    default: fatalError("unknown option \(option)")
    }
}
guard let python else { fatalError("--python PYTHON (with moto) is needed") }
let moto = try MotoServer(noAuthRequests: 1_000_000_000, python: python)
let agent = ECSTaskAgent(moto: moto, executable: "/bin/false", images: images)
let region = ProcessInfo.processInfo.environment["AWS_REGION"] ?? "eu-west-1"
try await agent.start(region: region)
// moto makes each service's state on its first call (IAM loads AWS's managed policies, EC2 the
// default VPC: seconds): made here, so no side's first run pays for the emulator's start.
let warm = AWSClient(configuration: AWSConfiguration(
    credentials: AWSCredentials(accessKeyID: "AKIDWARM", secretAccessKey: "warm"), region: region, endpoints: ["": moto.endpoint]))
_ = try await IAMAPI(client: warm).roles(prefix: "warm")
_ = try await EC2API(client: warm).defaultVPC()
_ = try await LogsAPI(client: warm).groupExists("/warm")
_ = try await SecretsManagerAPI(client: warm).secrets(prefix: "warm/")
_ = try await ECSAPI(client: warm).describeClusters(["warm"])
FileHandle.standardOutput.write(Data("endpoint: \(moto.endpoint.absoluteString)\n".utf8))
// Standard input closing is the end (bench/run ended, or was killed).
await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
    Thread {
        while FileHandle.standardInput.availableData.count > 0 {}
        done.resume()
    }.start()
}
await agent.stop()
moto.stop()
