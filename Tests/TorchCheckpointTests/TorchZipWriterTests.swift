import Foundation
import Testing
@testable import TorchCheckpoint

/// .pt files written here read back bit-identically and have torch's layout.
@Suite("Writing .pt checkpoints")
struct TorchZipWriterTests {
    static let checkpoints: [String] = FixturePaths.sidecars.map { $0.replacingOccurrences(of: ".expected.json", with: "") }

    private func temporaryFile(_ name: String) -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ptwriter-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory.appendingPathComponent(name).path
    }

    @Test("every fixture round-trips through a written .pt bit for bit", arguments: checkpoints)
    func roundTrip(fixture: String) throws {
        let sidecar = try Expectation.load(fixture + ".expected.json")
        let source = try Checkpoint(path: FixturePaths.checkpoints.appendingPathComponent(sidecar.file).path)
        // A tensor saved alone has the empty name, which no output format can hold: it must be named.
        let options = source.tensors.map(\.name) == [""] ? ConversionOptions(renames: [try .init("^$=tensor")]) : ConversionOptions()
        if source.tensors.map(\.name) == [""] {
            #expect(throws: ConversionError.emptyName(source: "")) { try ConversionPlan(source: source) }
        }
        let plan = try ConversionPlan(source: source, options: options)
        let path = temporaryFile("roundtrip.pt")
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path) }
        try TorchZipWriter.write(plan.exports, to: path)

        let written = try Checkpoint(path: path)
        #expect(written.format == .zip)
        #expect(written.tensors.map(\.name) == plan.entries.map(\.outputName))
        for (tensor, entry) in zip(source.tensors, plan.entries) {
            let copy = try #require(written.tensor(named: entry.outputName))
            #expect(copy.dtype == tensor.dtype)
            #expect(copy.shape == tensor.shape)
            #expect(copy.isContiguous)
            #expect(try written.contiguousBytes(entry.outputName) == source.contiguousBytes(tensor.name), "\(tensor.name)")
        }
    }

    @Test("records are stored, 64-byte aligned, with torch's bookkeeping records")
    func layout() throws {
        let source = try Checkpoint(path: FixturePaths.checkpoints.appendingPathComponent("lstm_proj_state_dict.pt").path)
        let path = temporaryFile("layout.pt")
        try TorchZipWriter.write(try ConversionPlan(source: source).exports, to: path)
        let archive = try ZipArchive(file: try MappedFile(path: path), limits: .default)
        let names = archive.entries.map(\.name)
        for record in ["layout/data.pkl", "layout/byteorder", "layout/version", "layout/.format_version", "layout/.storage_alignment", "layout/data/0"] {
            #expect(names.contains(record), "\(record)")
        }
        for entry in archive.entries {
            #expect(entry.method == 0)
            if entry.name.contains("/data/") { #expect(entry.dataOffset % 64 == 0, "\(entry.name) at \(entry.dataOffset)") }
        }
    }

    @Test("casting follows round-to-nearest-even through Float32")
    func casting() throws {
        #expect(ElementConversion.floatToHalf(1.0) == 0x3C00)
        #expect(ElementConversion.floatToHalf(65520) == 0x7C00)          // rounds up to infinity
        #expect(ElementConversion.floatToHalf(0x1p-24) == 0x0001)         // smallest subnormal
        #expect(ElementConversion.floatToHalf(0x1p-25) == 0x0000)         // ties to even (zero)
        #expect(ElementConversion.floatToHalf(1 + 0x1p-11) == 0x3C00)     // halfway, even stays
        #expect(ElementConversion.floatToHalf(1 + 3 * 0x1p-11) == 0x3C02) // halfway, odd rounds up
        #expect(ElementConversion.floatToBFloat16(1 + 0x1p-8) == 0x3F80)  // halfway, even stays
        #expect(ElementConversion.floatToBFloat16(1 + 3 * 0x1p-8) == 0x3F82)
        // Every half value survives half → float → half.
        for bits in UInt16(0)...UInt16(0x7BFF) {
            #expect(ElementConversion.floatToHalf(ElementConversion.halfToFloat(bits)) == bits)
        }
    }

    @Test("two tensors renamed to one name is an error")
    func renameCollision() throws {
        let source = try Checkpoint(path: FixturePaths.checkpoints.appendingPathComponent("rnn_state_dict.pt").path)
        let rule = try ConversionOptions.Rename("_l[01]=")
        #expect(throws: ConversionError.self) { try ConversionPlan(source: source, options: ConversionOptions(renames: [rule])) }
    }

    @Test("select strips the prefix and keeps only what is under it")
    func select() throws {
        let source = try Checkpoint(path: FixturePaths.checkpoints.appendingPathComponent("training_checkpoint.pt").path)
        let plan = try ConversionPlan(source: source, options: ConversionOptions(select: "model.rnn."))
        #expect(plan.entries.map(\.outputName) == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"])
        let rule = try ConversionOptions.Rename(#"^module\.(.*)$=net.$1"#)
        let dp = try Checkpoint(path: FixturePaths.checkpoints.appendingPathComponent("dataparallel_state_dict.pt").path)
        let renamed = try ConversionPlan(source: dp, options: ConversionOptions(renames: [rule]))
        #expect(renamed.entries.allSatisfy { $0.outputName.hasPrefix("net.") && !$0.outputName.contains("module.") })
    }
}
