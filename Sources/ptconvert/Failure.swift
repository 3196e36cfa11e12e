import ArgumentParser
import Foundation

/// Prints one line on stderr and returns the exit code for unreadable input.
func unreadable(_ error: any Error) -> ExitCode {
    let message = (error as? LocalizedError)?.errorDescription ?? String(describing: error)
    FileHandle.standardError.write(Data(("ptconvert: " + message.replacingOccurrences(of: "\n", with: " ") + "\n").utf8))
    return ExitCode(2)
}

/// JSON text for plain values, with keys in the order given.
enum JSONText {
    static func string(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
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
