import Foundation
import LoomCore

/// The files a path or glob pattern (`data/*.csv`) names, sorted; none is an error. A folder
/// stands for its files ending in `.extension`, as a folder another writer filled.
enum FileMatch {
    static func paths(_ given: String, extension: String) throws -> [String] {
        var isFolder: ObjCBool = false
        var pattern = given
        if FileManager.default.fileExists(atPath: given, isDirectory: &isFolder), isFolder.boolValue {
            pattern = URL(fileURLWithPath: given).appendingPathComponent("*.\(`extension`)").path
        }
        var matches = glob_t()
        defer { globfree(&matches) }
        guard glob(pattern, 0, nil, &matches) == 0 else {
            throw LoomError(.invalidArgument, "no file matches \(pattern)")
        }
        var paths: [String] = []
        for index in 0..<Int(matches.gl_pathc) {
            if let path = matches.gl_pathv[index] { paths.append(String(cString: path)) }
        }
        var isDirectory: ObjCBool = false
        let files = paths.filter { FileManager.default.fileExists(atPath: $0, isDirectory: &isDirectory) && !isDirectory.boolValue }
        guard !files.isEmpty else { throw LoomError(.invalidArgument, "no file matches \(pattern)") }
        return files.sorted()
    }
}
