/// Words for a POSIX shell's command line: a remote shell's command, a batch script, an
/// instance's user data.
public enum ShellWord {
    /// `word` as the shell reads it back: as it is when plainly safe, otherwise in single
    /// quotes with any single quote inside closed and escaped. `keepingVariables` leaves `$` as
    /// safe, so `$TMPDIR` in a batch script expands where the job runs.
    public static func quoted(_ word: String, keepingVariables: Bool = false) -> String {
        let safe = word.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=,@%+".contains($0) || (keepingVariables && $0 == "$") }
        return safe && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
