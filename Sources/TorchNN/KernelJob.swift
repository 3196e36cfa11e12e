internal import CRecurrentKernels

/// One call of the own kernel (`trk_run`), prepared once and re-run with changing
/// pointers: the operands live in one heap-allocated `trk_step` that both threads
/// read, so nothing is allocated per call and no Swift value is shared mutably.
/// Its column groups are independent, so the caller and the ``GateWorker`` can
/// each take half of them.
final class KernelJob: SplitJob, @unchecked Sendable {
    /// The operands; set them before ``run(worker:)``.
    let step: UnsafeMutablePointer<trk_step>
    private var groups = 0

    init(kind: trk_kind) {
        step = .allocate(capacity: 1)
        step.initialize(to: trk_step())
        step.pointee.kind = kind
        // Chosen when the job is made (on the caller's task), so that the helper thread,
        // where ``KernelVariant/withVariant(_:_:)`` is not visible, runs the same variant.
        step.pointee.variant = Int32(KernelVariant.active.cValue.rawValue)
    }

    deinit { step.deallocate() }

    /// Runs every group: split with `worker` when it is given and there are at least
    /// two groups, else on the calling thread (both with the variant chosen at init).
    func run(worker: (any SplitRunner)?) {
        groups = trk_group_count(step)
        // Back and forth over the weights, call after call (see `trk_step.descending`).
        step.pointee.descending ^= 1
        if let worker, groups >= 2 {
            worker.run(self)
        } else {
            trk_run(step, 0, groups)
        }
    }

    /// Part 0 (the caller) runs the first half of the groups, part 1 the rest.
    func run(part: Int) {
        let middle = (groups + 1) / 2
        if part == 0 {
            trk_run(step, 0, middle)
        } else {
            trk_run(step, middle, groups)
        }
    }

    /// Multiply-adds of the product: rows · columns · depth (columns rounded up to
    /// whole panels, as the kernel computes them).
    var multiplyAdds: Int {
        let gates = Int(trk_gate_count(step.pointee.kind))
        let panels = (step.pointee.units + Int(TRK_PANEL) - 1) / Int(TRK_PANEL) * gates
        return step.pointee.rows * panels * Int(TRK_PANEL) * (step.pointee.depth + step.pointee.depth2)
    }
}

/// The shared gate worker when it is free (claimed: release it after use), or nil.
func claimWorker() -> (any SplitRunner)? {
    guard #available(macOS 15.0, iOS 18.0, tvOS 18.0, watchOS 11.0, visionOS 2.0, *) else { return nil }
    guard let worker = GateWorker.shared, worker.acquire() else { return nil }
    return worker
}

/// Runs `body` on the calling thread and, when the worker is free, the second closure
/// on the worker at the same time; otherwise both one after the other.
final class PairJob: SplitJob, Sendable {
    private let first: @Sendable () -> Void
    private let second: @Sendable () -> Void

    init(_ first: @escaping @Sendable () -> Void, _ second: @escaping @Sendable () -> Void) {
        self.first = first
        self.second = second
    }

    func run(part: Int) { part == 0 ? first() : second() }
}
