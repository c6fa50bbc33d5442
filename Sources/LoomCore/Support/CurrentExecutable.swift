import Foundation

/// The path to start this program again with (for worker processes and nannies).
///
/// The name it was started under wins when it is a path to this same file: a program reached
/// through a symbolic link may behave by its name, and its children should too. Otherwise the
/// kernel's `/proc/self/exe`, which survives a changed working directory and a bare name found
/// on `PATH`.
public enum CurrentExecutable {
    public static let path: String = {
        let binary = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let invoked = CommandLine.arguments.first ?? ""
        guard invoked.contains("/") else { return binary }
        let absolute = invoked.hasPrefix("/") ? invoked : FileManager.default.currentDirectoryPath + "/" + invoked
        let resolved = URL(fileURLWithPath: absolute).resolvingSymlinksInPath().path
        return resolved == URL(fileURLWithPath: binary).resolvingSymlinksInPath().path ? absolute : binary
    }()
}
