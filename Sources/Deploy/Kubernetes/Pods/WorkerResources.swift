import Foundation
import LoomCore

/// Threads and memory limit of a worker, matched to its container's resources: a worker that
/// believes it has more memory than its pod's limit is killed by the kernel instead of spilling
/// (the classic cause of lost workers), and one with more threads than CPUs only contends.
///
/// The template's `resources` win; the cluster's `threads`/`memory` fill in a template without
/// them (requests = limits, so the pod gets what the worker uses). Both given and different is
/// an error naming the field.
struct WorkerResources: Equatable, Sendable {
    var threads: Int
    /// Bytes, or nil for none (the worker then takes the machine's, as on a node without limits).
    var memoryLimit: Int64?

    /// Reads `container.resources`, fills in what is missing from `threads`/`memory`, and
    /// returns the settings with the container as it should be sent.
    static func matching(container: KubernetesJSON, at field: String, threads: Int?, memory: Int64?) throws -> (WorkerResources, KubernetesJSON) {
        var container = container
        var resources = container["resources"] ?? [:]
        let cpu = try quantity(resources, "cpu", field: field)
        let bytes = try quantity(resources, "memory", field: field)
        let chosenThreads: Int
        if let cpu {
            let fromCPU = max(1, Int(cpu.value.rounded(.down)))
            if let threads, threads != fromCPU {
                throw LoomError(.configuration, "\(field).resources.\(cpu.section).cpu is \(cpu.text) (\(fromCPU) thread\(fromCPU == 1 ? "" : "s")) but threads: \(threads) was given; give one of them")
            }
            chosenThreads = fromCPU
        } else {
            chosenThreads = threads ?? 1
            resources["requests", default: [:]]["cpu"] = .string("\(chosenThreads)")
            resources["limits", default: [:]]["cpu"] = .string("\(chosenThreads)")
        }
        let chosenMemory: Int64?
        if let bytes {
            let fromPod = Int64(bytes.value)
            if let memory, memory != fromPod {
                throw LoomError(.configuration, "\(field).resources.\(bytes.section).memory is \(bytes.text) (\(fromPod) bytes) but memory: \(memory) bytes was given; give one of them")
            }
            chosenMemory = fromPod
        } else if let memory {
            chosenMemory = memory
            resources["requests", default: [:]]["memory"] = .string("\(memory)")
            resources["limits", default: [:]]["memory"] = .string("\(memory)")
        } else {
            chosenMemory = nil
        }
        container["resources"] = resources
        return (WorkerResources(threads: chosenThreads, memoryLimit: chosenMemory), container)
    }

    /// A quantity found in a container's resources.
    private struct Found {
        var value: Double
        var text: String
        var section: String
    }

    /// The limit if set, else the request (the limit is what the kernel enforces).
    private static func quantity(_ resources: KubernetesJSON, _ name: String, field: String) throws -> Found? {
        for section in ["limits", "requests"] {
            guard let fields = resources.object?[section]?.object, let raw = fields[name] else { continue }
            let text = written(raw)
            guard let value = Quantity.value(raw), value > 0 else {
                throw LoomError(.configuration, "\(field).resources.\(section).\(name) is not a quantity: \(text)")
            }
            return Found(value: value, text: text, section: section)
        }
        return nil
    }

    /// A quantity as the template wrote it.
    private static func written(_ raw: KubernetesJSON) -> String {
        switch raw {
        case .string(let text): text
        case .int(let number): String(number)
        case .double(let number): String(number)
        default: String(decoding: raw.encoded(), as: UTF8.self)
        }
    }
}

extension KubernetesJSON {
    /// The value at `key`, or `fallback` when absent (for in-place building: `resources["limits", default: [:]]`).
    subscript(key: String, default fallback: KubernetesJSON) -> KubernetesJSON {
        get { self[key] ?? fallback }
        set { self[key] = newValue }
    }
}
