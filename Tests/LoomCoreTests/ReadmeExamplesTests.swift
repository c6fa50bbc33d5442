import Foundation
import Testing

/// The README's Swift blocks are compiled as the ReadmeExamples target; this checks that what
/// is compiled is what the README says, line for line (indentation aside), so neither drifts.
@Suite struct ReadmeExamplesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Each line without its leading spaces, blank lines dropped.
    static func normalized(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.drop { $0 == " " }.description }
            .filter { !$0.isEmpty }
    }

    @Test func everySwiftBlockOfTheReadmeIsInTheExampleTarget() throws {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        // All but the lines a user's Package.swift takes, which belong in no target.
        let blocks = readme.components(separatedBy: "```swift\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
            .filter { !$0.hasPrefix(".package(") }
        #expect(blocks.count >= 9, "the README's Swift blocks were not found")
        let folder = Self.root.appendingPathComponent("Examples/ReadmeExamples")
        let sources = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".swift") }.sorted()
            .map { try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8) }
        let compiled = Self.normalized(sources.joined(separator: "\n"))
        for block in blocks {
            let lines = Self.normalized(block)
            let found = compiled.indices.contains { start in
                start + lines.count <= compiled.count && Array(compiled[start..<start + lines.count]) == lines
            }
            #expect(found, "this README block is not in Examples/ReadmeExamples (copy it there, as it is):\n\(block)")
        }
    }
}
