import ArgumentParser
import Foundation
import TorchCheckpoint

/// The exit codes of every command (documented in README.md, "ptconvert").
enum ExitStatus {
    /// A verified result differs from its golden values.
    static let mismatch: Int32 = 1
    /// An input file or fixture cannot be read.
    static let unreadable: Int32 = 2
    /// The output cannot be written (a failed system call: no space, no permission, missing folder).
    static let unwritable: Int32 = 3
    /// The arguments ask for something impossible (ArgumentParser's own usage errors use it too).
    static let usage: Int32 = 64

    /// The exit code for an error thrown while running a command: usage for a
    /// request that cannot be carried out as asked (a rename collision, a dtype
    /// the output format lacks), unwritable for a failed write, unreadable for
    /// everything else (the input).
    static func code(for error: any Error) -> Int32 {
        switch error {
        case is ConversionError: return usage
        case let error as WriteError: return error.isInvalidRequest ? usage : unwritable
        default: return unreadable
        }
    }
}

/// Prints one line on stderr and returns the exit code the error calls for.
func failure(_ error: any Error) -> ExitCode {
    printError(describe(error))
    return ExitCode(ExitStatus.code(for: error))
}

/// One line on stderr, prefixed with the tool's name.
func printError(_ text: String) {
    FileHandle.standardError.write(Data(("ptconvert: " + text.replacingOccurrences(of: "\n", with: " ") + "\n").utf8))
}

/// The error's description, as a user reads it.
func describe(_ error: any Error) -> String {
    (error as? LocalizedError)?.errorDescription ?? String(describing: error)
}

/// JSON text for plain values, with keys in the order given.
enum JSONText {
    /// A JSON string literal, escaped as the safetensors writer escapes header strings.
    static func string(_ s: String) -> String {
        var bytes: [UInt8] = []
        SafetensorsWriter.appendString(s, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func number(_ d: Double) -> String {
        d.isFinite ? "\(d)" : "null"
    }

    static func object(_ pairs: [(String, String)]) -> String {
        "{" + pairs.map { string($0.0) + ": " + $0.1 }.joined(separator: ", ") + "}"
    }

    static func array(_ items: [String]) -> String { "[" + items.joined(separator: ", ") + "]" }
}

/// A sum that stops at Int.max instead of trapping: a view made by `expand`
/// can be logically larger than any file.
func saturatingSum(_ values: [Int]) -> Int {
    var total = 0
    for value in values {
        let (sum, overflow) = total.addingReportingOverflow(value)
        if overflow { return Int.max }
        total = sum
    }
    return total
}
