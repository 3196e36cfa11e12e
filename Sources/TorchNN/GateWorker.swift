import Foundation
import Synchronization
internal import CRecurrentKernels

/// Work that two threads share: `run(part: 0)` on the caller, `run(part: 1)` on the worker.
protocol SplitJob: AnyObject {
    func run(part: Int)
}

/// Something that runs both parts of a ``SplitJob`` (the driver sees the worker only
/// through this, so that no availability annotation leaks into it).
protocol SplitRunner: AnyObject {
    func run(_ job: any SplitJob)
    func release()
}

/// One persistent helper thread that shares the recurrent layers' work with the caller:
/// half of the column groups of a big enough step (`KernelJob`), half of a large
/// input projection, or the reverse direction of a bidirectional layer (`PairJob`).
///
/// A step is tens of microseconds of work, so the hand-off must be fast.
/// `DispatchQueue.concurrentPerform` did not speed such work up at all on the 2-core
/// benchmark machine: its worker woke too late, so the caller ran both halves itself.
/// This worker instead waits by spinning (a CPU pause, and every 16th round a
/// `sched_yield()`, as OpenBLAS's own threads do), so it starts within about a
/// microsecond and yields its core to any other runnable thread; after `spinDuration` without work it sleeps on a condition
/// variable. Work below `splitThreshold` is never handed over, so for small layers
/// the worker stays asleep.
///
/// One caller at a time: a forward pass claims the worker with ``acquire()``; another
/// running concurrently on another thread finds it taken and runs on its own thread.
/// Nothing is allocated per step. The thread is started on first use and lives as
/// long as the process.
@available(macOS 15.0, iOS 18.0, tvOS 18.0, watchOS 11.0, visionOS 2.0, *)
final class GateWorker: SplitRunner, Sendable {
    /// The worker, or nil when the process may use only one processor (a single-core
    /// machine, or an affinity mask such as `taskset -c 0`), where it could only compete
    /// with the caller for that core.
    static let shared: GateWorker? = trk_usable_cpus() >= 2 ? GateWorker() : nil

    /// The process that started the thread: a child made by `fork()` has no worker
    /// thread, so there ``acquire()`` refuses and the caller runs serially.
    private let process = getpid()

    /// How long the worker keeps spinning after its last job before it sleeps.
    /// Within a forward pass consecutive jobs are microseconds apart; between calls of a
    /// streaming caller they may be far apart, and spinning then only burns a core.
    static let spinDuration: Duration = .microseconds(250)

    private let owned = Atomic<Bool>(false)
    private let posted = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let sleeping = Atomic<Bool>(false)
    private let condition = NSCondition()
    /// Written by the owner before `posted` is incremented, read by the worker after it
    /// sees the increment (release/acquire through `posted`).
    nonisolated(unsafe) private var job: (any SplitJob)?

    private init() {
        let thread = Thread { [self] in loop() }
        thread.name = "TorchNN gate worker"
        thread.start()
    }

    /// Claims the worker; false when another caller holds it.
    func acquire() -> Bool {
        guard getpid() == process else { return false }
        return owned.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    }

    /// Gives the worker back (after the last ``run(_:)``).
    func release() {
        job = nil
        owned.store(false, ordering: .releasing)
    }

    /// Runs `job.run(part: 1)` on the worker while the caller runs `job.run(part: 0)`,
    /// and returns when both are done. Only the holder of ``acquire()`` may call this.
    func run(_ job: any SplitJob) {
        self.job = job
        let ticket = posted.add(1, ordering: .sequentiallyConsistent).newValue
        if sleeping.load(ordering: .sequentiallyConsistent) {
            condition.lock()
            condition.signal()
            condition.unlock()
        }
        job.run(part: 0)
        var spins = 0
        while finished.load(ordering: .acquiring) != ticket {
            spins &+= 1
            if spins & 31 == 0 { sched_yield() } else { trk_pause() }
        }
    }

    private func loop() {
        var seen = 0
        let clock = ContinuousClock()
        while true {
            var idleSince = clock.now
            var spins = 0
            while posted.load(ordering: .acquiring) == seen {
                // Mostly a CPU pause (a new job is seen within a fraction of a microsecond),
                // with a yield now and then so that a runnable thread on this core gets it.
                spins &+= 1
                if spins & 15 == 0 { sched_yield() } else { trk_pause() }
                guard spins & 63 == 0, clock.now - idleSince > Self.spinDuration else { continue }
                // Sleep. `sleeping` is set before `posted` is read again and the owner reads
                // `sleeping` after incrementing `posted` (both sequentially consistent), so
                // either this re-check sees the new job or the owner sees `sleeping` and
                // signals under the lock, which `wait()` holds until it is really waiting.
                condition.lock()
                sleeping.store(true, ordering: .sequentiallyConsistent)
                while posted.load(ordering: .sequentiallyConsistent) == seen { condition.wait() }
                sleeping.store(false, ordering: .sequentiallyConsistent)
                condition.unlock()
                idleSince = clock.now
            }
            seen += 1
            job?.run(part: 1)
            finished.store(seen, ordering: .releasing)
        }
    }
}
