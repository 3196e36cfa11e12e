import Foundation
import TorchCheckpoint

/// A multi-step model loaded from `model.pt`: modules known to the library and the small head
/// operations between them. The operations are private helpers of the parity checker, kept
/// small on purpose until the library has a tensor core.
struct GoldenSteps: Sendable {
    enum Loaded: Sendable {
        case embedding(Embedding)
        case linear(Linear)
        case recurrent(RecurrentModule, batchFirst: Bool)
        case operation(GoldenFixture.Case.Operation)
    }

    let steps: [Loaded]

    /// Loads every module step strictly under its prefix and checks that each operation follows
    /// a step it applies to (`h_n[-1]` and `last_step` need a sequence module just before).
    init(_ steps: [GoldenFixture.Case.Step], from source: some TensorSource, caseFile: String) throws {
        var loaded: [Loaded] = []
        var previous: RecurrentModule.Kind?  // the recurrent module right before, if any
        for (position, step) in steps.enumerated() {
            switch step {
            case let .module(module):
                if module.module == "Embedding" {
                    // Indices come from golden.pt's integer `input`; anything computed is a float.
                    guard position == 0 else {
                        throw GoldenFixtureError.invalidStep(file: caseFile, step: position, reason: "an Embedding can only be the first step")
                    }
                    loaded.append(.embedding(try Embedding(loading: source, prefix: module.prefix)))
                } else if module.module == "Linear" {
                    loaded.append(.linear(try Linear(loading: source, prefix: module.prefix)))
                } else if let kind = module.recurrentKind {
                    loaded.append(.recurrent(try RecurrentModule.load(from: source, prefix: module.prefix, kind: kind,
                                                                      nonlinearity: module.nonlinearity,
                                                                      batchFirst: module.batchFirst),
                                             batchFirst: module.batchFirst))
                }
                previous = module.recurrentKind
            case let .operation(operation):
                switch operation {
                case .output where previous == nil:
                    throw GoldenFixtureError.invalidStep(file: caseFile, step: position, reason: "'output' must follow a recurrent module")
                case .lastHidden where previous == nil || previous!.isCell, .lastStep where previous == nil || previous!.isCell:
                    throw GoldenFixtureError.invalidStep(file: caseFile, step: position,
                                                         reason: "'\(operation.rawValue)' must follow RNN, LSTM or GRU")
                default: break
                }
                loaded.append(.operation(operation))
                previous = nil
            }
        }
        self.steps = loaded
    }

    /// What flows from one step to the next.
    private enum Value {
        case tensor(FloatTensor)
        /// A recurrent step's result; the next module or activation takes its `output`.
        case recurrent(RecurrentOutput, batchFirst: Bool)

        var tensor: FloatTensor {
            switch self {
            case let .tensor(tensor): return tensor
            case let .recurrent(result, _): return result.output
            }
        }
    }

    /// Runs the steps. `input` holds indices as exact floats when the first step is an Embedding;
    /// recurrent steps start from zero state and get `lengths`.
    func callAsFunction(_ input: FloatTensor, lengths: [Int]?) throws -> FloatTensor {
        var value = Value.tensor(input)
        for step in steps {
            switch step {
            case let .embedding(embedding):
                let x = value.tensor
                let indices = try x.scalars.enumerated().map { position, scalar in
                    guard let index = Int(exactly: scalar) else {
                        throw LayerInputError.indexOutOfRange(position: position, index: -1, count: embedding.numEmbeddings)
                    }
                    return index
                }
                value = .tensor(try embedding(indices, shape: x.shape))
            case let .linear(linear):
                value = .tensor(try linear(value.tensor))
            case let .recurrent(module, batchFirst):
                value = .recurrent(try module(value.tensor, lengths: module.kind.isCell ? nil : lengths), batchFirst: batchFirst)
            case let .operation(operation):
                value = .tensor(try Self.apply(operation, to: value, lengths: lengths))
            }
        }
        return value.tensor
    }

    private static func apply(_ operation: GoldenFixture.Case.Operation, to value: Value, lengths: [Int]?) throws -> FloatTensor {
        switch operation {
        case .output: return value.tensor
        case .lastHidden:
            guard case let .recurrent(result, _) = value else { return value.tensor }
            return lastLayer(result.hN)
        case .lastStep:
            guard case let .recurrent(result, batchFirst) = value else { return value.tensor }
            return try lastValidStep(result.output, batchFirst: batchFirst, lengths: lengths)
        case .relu: return map(value.tensor) { max($0, 0) }
        case .tanh: return map(value.tensor) { Foundation.tanh($0) }
        case .sigmoid: return map(value.tensor) { 1 / (1 + Foundation.exp(-$0)) }
        case .softmax: return softmax(value.tensor, log: false)
        case .logSoftmax: return softmax(value.tensor, log: true)
        }
    }

    /// `h_n[-1]`: the last slice along the first axis, (L·D, B, H_out) → (B, H_out).
    private static func lastLayer(_ hN: FloatTensor) -> FloatTensor {
        let shape = Array(hN.shape.dropFirst())
        let count = shape.reduce(1, *)
        return FloatTensor(shape: shape, scalars: Array(hN.scalars.suffix(count)))
    }

    /// Each sequence's output at step `lengths[b] − 1` (T − 1 without lengths):
    /// (T, B, F) or (B, T, F) → (B, F); unbatched (T, F) → (F).
    private static func lastValidStep(_ output: FloatTensor, batchFirst: Bool, lengths: [Int]?) throws -> FloatTensor {
        if output.shape.count == 2 {
            let (steps, features) = (output.shape[0], output.shape[1])
            return FloatTensor(shape: [features], scalars: Array(output.scalars[(steps - 1) * features ..< steps * features]))
        }
        let (first, second, features) = (output.shape[0], output.shape[1], output.shape[2])
        let (steps, batch) = batchFirst ? (second, first) : (first, second)
        if let lengths, lengths.count != batch || !lengths.allSatisfy({ (1...steps).contains($0) }) {
            throw LayerInputError.unsupported("last_step needs one length in 1...\(steps) per sequence (\(batch)), got \(lengths)")
        }
        var scalars: [Float] = []
        scalars.reserveCapacity(batch * features)
        for b in 0..<batch {
            let t = (lengths?[b] ?? steps) - 1
            let row = batchFirst ? b * steps + t : t * batch + b
            scalars += output.scalars[row * features ..< (row + 1) * features]
        }
        return FloatTensor(shape: [batch, features], scalars: scalars)
    }

    private static func map(_ x: FloatTensor, _ f: (Float) -> Float) -> FloatTensor {
        FloatTensor(shape: x.shape, scalars: x.scalars.map(f))
    }

    /// Softmax (or its log) over the last axis, in Double and shifted by the row's maximum as torch does.
    private static func softmax(_ x: FloatTensor, log: Bool) -> FloatTensor {
        guard let width = x.shape.last, width > 0 else { return x }
        var scalars = x.scalars
        for start in stride(from: 0, to: scalars.count, by: width) {
            let row = scalars[start ..< start + width].map(Double.init)
            let top = row.max() ?? 0
            let sum = row.reduce(0) { $0 + Foundation.exp($1 - top) }
            for (offset, v) in row.enumerated() {
                scalars[start + offset] = Float(log ? v - top - Foundation.log(sum) : Foundation.exp(v - top) / sum)
            }
        }
        return FloatTensor(shape: x.shape, scalars: scalars)
    }
}
