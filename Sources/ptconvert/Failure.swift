import ArgumentParser
import Foundation
import TorchCheckpoint

/// Prints one line on stderr and returns the exit code for unreadable input.
func unreadable(_ error: any Error) -> ExitCode {
    let message = (error as? LocalizedError)?.errorDescription ?? String(describing: error)
    FileHandle.standardError.write(Data(("ptconvert: " + message.replacingOccurrences(of: "\n", with: " ") + "\n").utf8))
    return ExitCode(2)
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
