import Foundation
import Testing
import TorchCheckpoint
@testable import ptconvert

/// The command-line tool's own helpers, tested directly.
@Suite("ptconvert helpers")
struct CLIHelperTests {
    @Test("sizes parse exactly, in decimal and binary units", arguments: [
        ("1048576", 1_048_576), ("600B", 600), ("2GB", 2_000_000_000), ("500mb", 500_000_000), ("64KiB", 65_536),
        ("1.5GiB", 1_610_612_736), ("0.5KB", 500), (" 2 GB ", 2_000_000_000), ("1TiB", 1 << 40), ("007B", 7),
        ("1.000B", 1), ("0.0009765625KiB", 1), ("9223372036854775807", Int.max), ("8388607TiB", 8_388_607 << 40),
    ])
    func sizes(text: String, bytes: Int) throws {
        #expect(try ByteSize.parse(text) == bytes)
    }

    @Test("zero, negative, non-finite, overflowing and fractional sizes are refused with a reason", arguments: [
        ("0", ByteSize.ParseError.zero), ("0.0GB", .zero), ("0B", .zero),
        ("-5MB", .notANumber("-5MB")), ("infB", .notANumber("infB")), ("nan", .notANumber("nan")), ("inf", .notANumber("inf")),
        ("1e30GB", .notANumber("1e30GB")), ("1e3", .notANumber("1e3")), ("", .notANumber("")), (".", .notANumber(".")),
        ("1.2.3B", .notANumber("1.2.3B")), ("GB", .notANumber("GB")), ("0x10", .notANumber("0x10")),
        ("0.1B", .fractionalBytes("0.1B")), ("1.5", .fractionalBytes("1.5")), ("0.0001KB", .fractionalBytes("0.0001KB")),
        ("9223372036854775808", .tooLarge("9223372036854775808")), ("99999999999999999999GB", .tooLarge("99999999999999999999GB")),
        ("8388608TiB", .tooLarge("8388608TiB")), ("9223372036854775807.5B", .fractionalBytes("9223372036854775807.5B")),
        ("1.0000000000000000001GB", .tooManyDecimals("1.0000000000000000001GB")), ("2XB", .unknownUnit("XB")),
    ])
    func badSizes(text: String, error: ByteSize.ParseError) {
        #expect(throws: error) { try ByteSize.parse(text) }
        #expect(!error.description.isEmpty)
    }

    @Test("the progress line is total for any numbers")
    func progressLine() {
        let half = ProgressBar.line(done: 1_000_000_000, total: 2_000_000_000, elapsed: 2)
        #expect(half.hasPrefix("[###############---------------]  50.0%  1.0 GB / 2.0 GB  500.0 MB/s  2s left"))
        for (done, total, elapsed) in [(0, 0, 0.0), (-5, 10, 1), (Int.max, 1, 1e-300), (Int.max, Int.max, .infinity), (5, -1, .nan)] {
            let line = ProgressBar.line(done: done, total: total, elapsed: elapsed)
            #expect(line.hasPrefix("["), "\(line)")
        }
        #expect(ProgressBar.human(999) == "999 B")
        #expect(ProgressBar.human(1_500) == "1.5 KB")
        #expect(ProgressBar.human(Int.max) == "9.2 EB")
    }

    @Test("JSON text escapes quotes, backslashes and control characters")
    func jsonText() throws {
        let text = JSONText.object([("a\"b", JSONText.string("c\\d\n\u{01}é")), ("n", JSONText.number(.nan)), ("x", JSONText.array(["1", "2"]))])
        #expect(text == #"{"a\"b": "c\\d\n\u0001é", "n": null, "x": [1, 2]}"#)
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(parsed?["a\"b"] as? String == "c\\d\n\u{01}é")
        #expect(saturatingSum([Int.max, 1]) == Int.max)
        #expect(saturatingSum([1, 2]) == 3)
    }

    @Test("the note on dropped values names a few and counts all")
    func droppedNote() {
        #expect(Convert.droppedNote([]) == nil)
        #expect(Convert.droppedNote(["epoch"]) == "1 non-tensor value not written (epoch): the output holds tensors only")
        #expect(Convert.droppedNote(["a", "b", "c", "d"]) == "4 non-tensor values not written (a, b, c, …): the output holds tensors only")
    }

    @Test("exit codes: usage for impossible requests, 3 for failed writes, 2 for unreadable input")
    func exitCodes() {
        #expect(ExitStatus.code(for: ConversionError.nameCollision(name: "a", first: "b", second: "c")) == 64)
        #expect(ExitStatus.code(for: WriteError.unsupportedDType(file: "f", name: "c", dtype: .complex128, format: "safetensors")) == 64)
        #expect(ExitStatus.code(for: WriteError.io(file: "f", reason: "disk full")) == 3)
        #expect(ExitStatus.code(for: WriteError.sizeMismatch(file: "f", name: "t", expected: 1, produced: 2)) == 3)
        #expect(ExitStatus.code(for: CheckpointError.unknownFormat(file: "f")) == 2)
    }
}
