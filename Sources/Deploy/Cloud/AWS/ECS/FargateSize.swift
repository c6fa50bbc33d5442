import LoomCore

/// A Fargate task's size: CPU units (1024 a vCPU) and memory in MiB, one of the pairs Fargate
/// accepts — checked before any request, so a wrong size fails at once with the sizes allowed
/// instead of as a `ClientException` from `RegisterTaskDefinition` minutes into a start.
public struct FargateSize: Sendable, Hashable, CustomStringConvertible {
    public let cpu: Int
    public let memory: Int

    /// The memory sizes (MiB) Fargate allows for each CPU size.
    public static let allowed: [(cpu: Int, memory: [Int])] = [
        (256, [512, 1024, 2048]),
        (512, Array(stride(from: 1024, through: 4096, by: 1024))),
        (1024, Array(stride(from: 2048, through: 8192, by: 1024))),
        (2048, Array(stride(from: 4096, through: 16384, by: 1024))),
        (4096, Array(stride(from: 8192, through: 30720, by: 1024))),
        (8192, Array(stride(from: 16384, through: 61440, by: 4096))),
        (16384, Array(stride(from: 32768, through: 122_880, by: 8192))),
    ]

    /// Throws, naming what `role` asked for and what it may have, unless Fargate runs `cpu` with `memory`.
    public init(cpu: Int, memory: Int, role: String = "worker") throws {
        guard let sizes = Self.allowed.first(where: { $0.cpu == cpu })?.memory else {
            throw LoomError(.configuration, """
                \(role)CPU \(cpu) is not a Fargate size: CPU units are one of \(Self.allowed.map { String($0.cpu) }.joined(separator: ", ")) \
                (1024 is one vCPU)
                """)
        }
        guard sizes.contains(memory) else {
            throw LoomError(.configuration, """
                \(role)Memory \(memory) MiB does not go with \(role)CPU \(cpu) on Fargate: with \(cpu) CPU units, memory is \
                \(Self.describe(sizes)) MiB
                """)
        }
        self.cpu = cpu
        self.memory = memory
    }

    /// A size for the EC2 launch type, where any amount the instances have will do: at least
    /// 128 CPU units and 128 MiB.
    init(ec2CPU cpu: Int, memory: Int, role: String) throws {
        guard cpu >= 128, memory >= 128 else {
            throw LoomError(.configuration, "\(role)CPU \(cpu) and \(role)Memory \(memory) MiB: an ECS task on EC2 needs at least 128 CPU units and 128 MiB")
        }
        self.cpu = cpu
        self.memory = memory
    }

    public var description: String { "\(cpu) CPU units, \(memory) MiB" }

    /// Worker threads: a thread a whole vCPU, at least one.
    public var threads: Int { max(1, cpu / 1024) }

    /// `512, 1024 or 2048`, or `2048 to 8192 in steps of 1024`.
    private static func describe(_ sizes: [Int]) -> String {
        if sizes.count <= 3 { return sizes.dropLast().map(String.init).joined(separator: ", ") + " or \(sizes.last!)" }
        return "\(sizes.first!) to \(sizes.last!) in steps of \(sizes[1] - sizes[0])"
    }
}
