import Testing
import TorchTensor

@Suite struct TensorConstructionTests {
    @Test func sizesThatDisagreeAreTypedErrors() throws {
        #expect(throws: TensorError.scalarCountMismatch(shape: [2, 3], scalarCount: 5)) {
            try FloatTensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5])
        }
        #expect(throws: TensorError.negativeExtent(shape: [2, -3])) { try FloatTensor(zeros: [2, -3]) }
        #expect(throws: TensorError.elementCountOverflow(shape: [Int.max, 2])) { try FloatTensor(zeros: [Int.max, 2]) }
        #expect(throws: TensorError.scalarCountMismatch(shape: [4], scalarCount: 3)) {
            try IntegerTensor(shape: [4], scalars: [1, 2, 3])
        }
        #expect(try FloatTensor(zeros: [2, 0]).scalars.isEmpty)
        #expect(FloatTensor(scalar: 3).shape == [])
        #expect(IntegerTensor([1, 2]).shape == [2])
    }

    @Test func operationsRecheckTensorsEditedAfterTheirInit() throws {
        var x = try FloatTensor(shape: [2, 2], scalars: [1, 2, 3, 4])
        x.scalars.removeLast()
        #expect(throws: TensorError.scalarCountMismatch(shape: [2, 2], scalarCount: 3)) { try x.softmax(axis: 1) }
        #expect(throws: TensorError.scalarCountMismatch(shape: [2, 2], scalarCount: 3)) { try x.select(axis: 0, index: 1) }
        #expect(throws: TensorError.scalarCountMismatch(shape: [2, 2], scalarCount: 3)) { try x.adding(x) }
    }
}
