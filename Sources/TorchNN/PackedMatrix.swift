import Foundation
internal import CRecurrentKernels

/// A weight packed once, at load, in the layout of the own kernels (`trk_pack`):
/// panels of 16 output columns, each K rows deep, 64-byte aligned, with a unit
/// block's G gates side by side so the fused step sees all gates of a unit.
///
/// Immutable after initialisation, so sharing it between threads is safe.
final class PackedMatrix: @unchecked Sendable {
    /// Rows of the torch weight (G·H or N).
    let rows: Int
    /// K: columns of the torch weight.
    let depth: Int
    /// G the panels are grouped by.
    let gates: Int
    let pointer: UnsafeMutablePointer<Float>

    /// Packs a torch-layout (rows, depth) weight, gates stacked along the rows.
    init(_ weight: [Float], rows: Int, depth: Int, gates: Int = 1) {
        precondition(rows > 0 && depth > 0 && gates > 0 && rows % gates == 0 && weight.count == rows * depth)
        self.rows = rows
        self.depth = depth
        self.gates = gates
        let count = trk_packed_count(rows, depth, Int32(gates))
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: count)
        weight.withUnsafeBufferPointer { trk_pack($0.baseAddress!, rows, depth, Int32(gates), pointer) }
    }

    deinit { pointer.deallocate() }
}

/// A ``PackedMatrix`` made on first use (under a lock, so at most once), for a packing
/// that only some inputs need.
final class LazyPackedMatrix: @unchecked Sendable {
    private let lock = NSLock()
    /// Guarded by `lock`.
    private var packed: PackedMatrix?
    private let make: @Sendable () -> PackedMatrix

    init(_ make: @escaping @Sendable () -> PackedMatrix) { self.make = make }

    /// Whether the matrix has been made.
    var isPacked: Bool {
        lock.lock()
        defer { lock.unlock() }
        return packed != nil
    }

    var matrix: PackedMatrix {
        lock.lock()
        defer { lock.unlock() }
        if let packed { return packed }
        let made = make()
        packed = made
        return made
    }
}
