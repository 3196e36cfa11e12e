import Foundation
import TorchCheckpoint

/// Sizes like `2GB`, `500MB`, `1.5GiB`, `64KiB` or plain bytes (`1048576`).
///
/// Parsed exactly, in integers: a decimal number (digits, optionally one `.`
/// and more digits; no sign, exponent, `inf` or `nan`) and an optional unit
/// (B, KB, MB, GB, TB in powers of 1000; KiB, MiB, GiB, TiB in powers of
/// 1024; case-insensitive). The result must be a whole, positive number of
/// bytes that fits in `Int`.
enum ByteSize {
    enum ParseError: Error, Equatable, CustomStringConvertible {
        case notANumber(String)
        case unknownUnit(String)
        case zero
        case fractionalBytes(String)
        case tooLarge(String)
        case tooManyDecimals(String)

        var description: String {
            switch self {
            case let .notANumber(text): return "'\(text)' is not a size: expected a number of bytes, optionally with a unit (e.g. 2GB, 500MB, 1.5GiB)"
            case let .unknownUnit(unit): return "unknown unit '\(unit)': use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB"
            case .zero: return "the size must be at least 1 byte"
            case let .fractionalBytes(text): return "'\(text)' is not a whole number of bytes"
            case let .tooLarge(text): return "'\(text)' is larger than \(Int.max) bytes"
            case let .tooManyDecimals(text): return "'\(text)' has more than 18 decimal places"
            }
        }
    }

    static let units: [String: Int] = [
        "": 1, "B": 1,
        "KB": 1_000, "MB": 1_000_000, "GB": 1_000_000_000, "TB": 1_000_000_000_000,
        "KIB": 1 << 10, "MIB": 1 << 20, "GIB": 1 << 30, "TIB": 1 << 40,
    ]

    static func parse(_ text: String) throws(ParseError) -> Int {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let number = trimmed.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let unit = trimmed.dropFirst(number.count).trimmingCharacters(in: .whitespaces)
        let parts = number.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard !number.isEmpty, number.filter({ $0 == "." }).count <= 1, parts.contains(where: { !$0.isEmpty }) else {
            throw .notANumber(text)
        }
        guard let factor = units[unit.uppercased()] else {
            throw unit.contains(where: { $0.isNumber || $0 == "." || $0 == "e" || $0 == "E" }) ? .notANumber(text) : .unknownUnit(unit)
        }
        // value = (whole + fraction / 10^k) * factor, computed exactly.
        let whole = parts[0].drop { $0 == "0" }
        var fraction = parts.count > 1 ? parts[1] : ""
        while fraction.last == "0" { fraction.removeLast() }
        guard let wholeValue = whole.isEmpty ? 0 : Int(whole) else { throw .tooLarge(text) }
        let (wholeBytes, o1) = wholeValue.multipliedReportingOverflow(by: factor)
        guard !o1 else { throw .tooLarge(text) }
        var fractionBytes = 0
        if !fraction.isEmpty {
            // fraction × factor / 10^k must be whole; computed in double width, it cannot overflow.
            guard fraction.count <= 18, let digits = Int(fraction) else { throw .tooManyDecimals(text) }
            var scale = 1
            for _ in 0..<fraction.count { scale *= 10 }
            let (quotient, remainder) = scale.dividingFullWidth(digits.multipliedFullWidth(by: factor))
            guard remainder == 0 else { throw .fractionalBytes(text) }
            fractionBytes = quotient
        }
        let (total, o2) = wholeBytes.addingReportingOverflow(fractionBytes)
        guard !o2 else { throw .tooLarge(text) }
        guard total > 0 else { throw .zero }
        return total
    }
}

/// A progress bar on stderr when it is a terminal and the work takes over a second.
final class ProgressBar: @unchecked Sendable {
    private let total: Int
    private let enabled: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(total: Int, enabled: Bool) {
        self.total = max(total, 1)
        self.enabled = enabled && isatty(STDERR_FILENO) == 1
    }

    func update(_ done: Int) {
        guard enabled else { return }
        let now = Date()
        let elapsed = now.timeIntervalSince(start)
        guard elapsed > 1, now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        FileHandle.standardError.write(Data(("\r" + Self.line(done: done, total: total, elapsed: elapsed)).utf8))
        drawn = true
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    /// `[#####-----]  50.0%  1.0 GB / 2.0 GB  500.0 MB/s  2s left`; any
    /// numbers (negative, beyond the total, zero time) give a line, not a trap.
    static func line(done: Int, total: Int, elapsed: Double) -> String {
        let done = max(done, 0), total = max(total, 1)
        let fraction = min(1, Double(done) / Double(total))
        let rate = elapsed > 0 && elapsed.isFinite ? Double(done) / elapsed : 0
        let remaining = rate > 0 ? max(0, Double(total) - Double(done)) / rate : 0
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        return String(format: "[%@] %5.1f%%  %@ / %@  %@/s  %.0fs left ", bar, fraction * 100,
                      human(done), human(total), human(rate < 0x1p62 ? Int(rate) : Int.max), remaining)
    }

    /// Bytes in decimal units: `999 B`, `1.5 KB`, … `9.2 EB`.
    static func human(_ bytes: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB", "PB", "EB"]
        var value = Double(bytes)
        var unit = 0
        while abs(value) >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
        return String(format: unit == 0 ? "%.0f %@" : "%.1f %@", value, units[unit])
    }
}
