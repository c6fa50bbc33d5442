import LoomCore
import Testing
@testable import LoomCloud

@Suite struct FargateSizeTests {
    @Test func everyPairFargateListsIsAcceptedAndOthersAreRefusedWithTheSizesAllowed() throws {
        let counts: [Int] = FargateSize.allowed.map { $0.memory.count }
        #expect(counts == [3, 4, 7, 13, 23, 12, 12])
        for (cpu, sizes) in FargateSize.allowed {
            for memory in sizes { #expect(try FargateSize(cpu: cpu, memory: memory).cpu == cpu) }
        }
        #expect(try FargateSize(cpu: 4096, memory: 16384).threads == 4)
        #expect(try FargateSize(cpu: 256, memory: 512).threads == 1)

        let cpu = #expect(throws: LoomError.self) { try FargateSize(cpu: 1000, memory: 4096) }
        #expect(cpu?.message == "workerCPU 1000 is not a Fargate size: CPU units are one of 256, 512, 1024, 2048, 4096, 8192, 16384 (1024 is one vCPU)")
        let memory = #expect(throws: LoomError.self) { try FargateSize(cpu: 1024, memory: 16384) }
        #expect(memory?.message == "workerMemory 16384 MiB does not go with workerCPU 1024 on Fargate: with 1024 CPU units, memory is 2048 to 8192 in steps of 1024 MiB")
        let small = #expect(throws: LoomError.self) { try FargateSize(cpu: 256, memory: 4096, role: "scheduler") }
        #expect(small?.message.contains("schedulerMemory 4096 MiB does not go with schedulerCPU 256 on Fargate: with 256 CPU units, memory is 512, 1024 or 2048 MiB") == true)
        #expect(throws: LoomError.self) { try FargateSize(cpu: 8192, memory: 18432) }
    }
}
