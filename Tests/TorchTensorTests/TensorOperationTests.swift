import Foundation
import Testing
import TorchCheckpoint
import TorchTensor

/// One case of `fixtures/tensor-ops/ops.json` (written by tools/make_tensor_op_fixtures.py).
struct OperationCase: Decodable, CustomTestStringConvertible, Sendable {
    var name: String
    var op: String
    var inputs: [String]
    var output: String
    var axis: Int?
    var index: Int?
    var start: Int?
    var end: Int?
    var shape: [Int]?
    var axes: [Int]?
    var lengths: String?
    var batch_first: Bool?
    var eps: Float?

    var testDescription: String { name }

    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fixtures/tensor-ops")

    static let all: [OperationCase] = {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("ops.json")),
              let cases = try? JSONDecoder().decode([OperationCase].self, from: data) else { return [] }
        return cases
    }()
}

@Suite("Tensor operations against torch (fixtures/tensor-ops)")
struct TensorOperationTests {
    static let file = Result { try SafetensorsFile(contentsOf: OperationCase.directory.appendingPathComponent("ops.safetensors")) }

    @Test func everyOperationHasCases() {
        let ops = Set(OperationCase.all.map(\.op))
        let expected: Set = ["select", "slice", "reshape", "transpose", "concatenate", "last_step", "add", "mul", "sub", "div", "unsqueeze",
                             "relu", "tanh", "sigmoid", "gelu", "softmax", "log_softmax", "argmax", "normalize"]
        #expect(ops == expected)
    }

    @Test(arguments: OperationCase.all)
    func matchesTorch(_ c: OperationCase) throws {
        let file = try Self.file.get()
        let inputs = try c.inputs.map { try file.floatTensor($0) }
        let x = inputs[0]
        if c.op == "argmax" {
            let expected = try file.integerTensor(c.output)
            #expect(try x.argmax(axis: try #require(c.axis)) == expected)
            return
        }
        let got: FloatTensor
        switch c.op {
        case "select": got = try x.select(axis: try #require(c.axis), index: try #require(c.index))
        case "slice": got = try x.slice(axis: try #require(c.axis), range: try #require(c.start)..<(try #require(c.end)))
        case "reshape": got = try x.reshaped(try #require(c.shape))
        case "transpose":
            let axes = try #require(c.axes)
            got = try x.transposed(axes[0], axes[1])
        case "concatenate": got = try FloatTensor.concatenate(inputs, axis: try #require(c.axis))
        case "last_step":
            let lengths = try file.integerTensor(try #require(c.lengths)).intScalars
            guard let batchFirst = c.batch_first else {
                Issue.record("\(c.name) has no batch_first")
                return
            }
            got = try x.lastValidStep(lengths: lengths, batchFirst: batchFirst)
        case "add": got = try x.adding(inputs[1])
        case "mul": got = try x.multiplying(inputs[1])
        case "sub": got = try x.subtracting(inputs[1])
        case "div": got = try x.dividing(by: inputs[1])
        case "unsqueeze": got = try x.unsqueezed(axis: try #require(c.axis))
        case "relu": got = x.relu()
        case "tanh": got = x.tanh()
        case "sigmoid": got = x.sigmoid()
        case "gelu": got = x.gelu()
        case "softmax": got = try x.softmax(axis: try #require(c.axis))
        case "log_softmax": got = try x.logSoftmax(axis: try #require(c.axis))
        case "normalize": got = try x.l2Normalized(axis: try #require(c.axis), eps: try #require(c.eps))
        default:
            Issue.record("unknown op \(c.op)")
            return
        }
        let expected = try file.floatTensor(c.output)
        #expect(got.shape == expected.shape)
        // Layout operations move values: exact. Arithmetic: within float32 rounding of torch's kernels.
        let exact = ["select", "slice", "reshape", "transpose", "concatenate", "last_step", "relu", "unsqueeze"].contains(c.op)
        for (i, (a, b)) in zip(got.scalars, expected.scalars).enumerated() {
            let tolerance: Float = exact ? 0 : 1e-6 + 1e-5 * abs(b)
            if !(abs(a - b) <= tolerance) {
                Issue.record("\(c.name)[\(i)]: got \(a), torch \(b)")
                break
            }
        }
    }
}

@Suite struct TensorOperationErrorTests {
    let x = FloatTensor((0..<24).map(Float.init))

    @Test func axesIndicesAndRangesAreChecked() throws {
        let t = try x.reshaped([2, 3, 4])
        #expect(throws: TensorError.axisOutOfRange(axis: 3, rank: 3)) { try t.select(axis: 3, index: 0) }
        #expect(throws: TensorError.axisOutOfRange(axis: -4, rank: 3)) { try t.softmax(axis: -4) }
        #expect(throws: TensorError.indexOutOfRange(axis: 1, index: 3, extent: 3)) { try t.select(axis: 1, index: 3) }
        #expect(throws: TensorError.indexOutOfRange(axis: 1, index: -4, extent: 3)) { try t.select(axis: 1, index: -4) }
        #expect(throws: TensorError.rangeOutOfBounds(axis: 2, start: 2, end: 5, extent: 4)) { try t.slice(axis: 2, range: 2..<5) }
        #expect(throws: TensorError.invalidReshape(from: [2, 3, 4], to: [5, -1])) { try t.reshaped([5, -1]) }
        #expect(throws: TensorError.invalidReshape(from: [2, 3, 4], to: [-1, -1])) { try t.reshaped([-1, -1]) }
        #expect(throws: TensorError.notBroadcastable(operation: "add", lhs: [2, 3, 4], rhs: [3, 3])) {
            try t.adding(FloatTensor(zeros: [3, 3]))
        }
        #expect(throws: TensorError.shapeMismatch(operation: "concatenate", expected: [2, 2, 4], found: [2, 2, 5])) {
            try FloatTensor.concatenate([t, FloatTensor(zeros: [2, 2, 5])], axis: 1)
        }
        #expect(throws: TensorError.empty(operation: "concatenate", shape: [])) { try FloatTensor.concatenate([], axis: 0) }
        #expect(throws: TensorError.empty(operation: "argmax", shape: [2, 0])) { try FloatTensor(zeros: [2, 0]).argmax(axis: 1) }
    }

    @Test func lastValidStepChecksLengths() throws {
        let t = try x.reshaped([3, 2, 4])
        #expect(throws: TensorError.lengthsCount(expected: 2, found: 3)) { try t.lastValidStep(lengths: [1, 2, 3]) }
        #expect(throws: TensorError.lengthOutOfRange(batchIndex: 1, length: 4, steps: 3)) { try t.lastValidStep(lengths: [1, 4]) }
        #expect(throws: TensorError.lengthOutOfRange(batchIndex: 0, length: 0, steps: 3)) { try t.lastValidStep(lengths: [0, 1]) }
        #expect(throws: TensorError.wrongRank(operation: "lastValidStep", expected: "(T, B, F)", found: [24])) { try x.lastValidStep() }
        // Without lengths: the last step of every sequence, i.e. output[-1].
        #expect(try t.lastValidStep() == t.select(axis: 0, index: -1))
    }

    @Test func integerTensorsShareTheLayoutOperations() throws {
        let ids = try IntegerTensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(try ids.transposed(0, 1).scalars == [1, 4, 2, 5, 3, 6])
        #expect(try ids.select(axis: 1, index: -1).scalars == [3, 6])
        #expect(try IntegerTensor.concatenate([ids, ids], axis: 0).shape == [4, 3])
    }
}
