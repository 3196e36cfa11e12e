import Foundation
import Testing
import TorchCheckpoint

/// What a conversion keeps, renames and leaves out.
@Suite("Conversion plans")
struct ConversionPlanTests {
    static func training() throws -> Checkpoint {
        try Checkpoint(path: FixturePaths.checkpoints.appendingPathComponent("training_checkpoint.pt").path)
    }

    @Test("a prefix without a trailing dot selects whole name components and strips the dot")
    func selectComponents() throws {
        let source = try Self.training()
        let withDot = try ConversionPlan(source: source, options: ConversionOptions(select: "model."))
        let withoutDot = try ConversionPlan(source: source, options: ConversionOptions(select: "model"))
        #expect(withoutDot.entries.map(\.outputName) == withDot.entries.map(\.outputName))
        #expect(withoutDot.entries.map(\.outputName).first == "rnn.weight_ih_l0")
        #expect(!withoutDot.entries.contains { $0.outputName.hasPrefix(".") })

        let options = ConversionOptions(select: "model")
        #expect(options.selectedName("model.x") == "x")
        #expect(options.selectedName("modelx") == nil)
        #expect(options.selectedName("model") == "")
        #expect(options.selectedName("other.model.x") == nil)
        #expect(ConversionOptions(select: "model.").selectedName("model.x") == "x")
        #expect(ConversionOptions(select: "model.r").selectedName("model.rnn.x") == nil)
        #expect(ConversionOptions(select: "").selectedName("a") == "a")
        #expect(throws: ConversionError.nothingSelected(file: source.path, prefix: "mod")) {
            try ConversionPlan(source: source, options: ConversionOptions(select: "mod"))
        }
    }

    @Test("non-tensor values under the selection are reported as dropped, in file order")
    func droppedValues() throws {
        let source = try Self.training()
        let all = try ConversionPlan(source: source)
        #expect(all.droppedValueNames == source.values.map(\.name))
        #expect(all.droppedValueNames.contains("epoch"))
        #expect(all.droppedValueNames.contains { $0.hasPrefix("optimizer.param_groups.0.") })
        let optimizer = try ConversionPlan(source: source, options: ConversionOptions(select: "optimizer"))
        #expect(!optimizer.droppedValueNames.isEmpty)
        #expect(optimizer.droppedValueNames.allSatisfy { $0.hasPrefix("optimizer.") })
        let model = try ConversionPlan(source: source, options: ConversionOptions(select: "model"))
        #expect(model.droppedValueNames.isEmpty)
    }
}
