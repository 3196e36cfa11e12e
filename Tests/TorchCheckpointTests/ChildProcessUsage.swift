import Foundation
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// What a child process (an exit test) has used itself, for budgets that
/// must not move with the rest of the suite running beside it.
enum ChildProcessUsage {
    /// This process's own peak resident set in KB.
    ///
    /// On Linux `ru_maxrss` keeps the resident set of the process that spawned
    /// this one (the test runner, whose size depends on the tests running at
    /// that moment); `VmHWM` is the high-water mark of this process's own
    /// memory since exec. Darwin's `ru_maxrss` is in bytes and its own.
    static func ownPeakKB() -> Int {
        #if canImport(Glibc)
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kilobytes = Int(line.dropFirst("VmHWM:".count).filter(\.isNumber)) else { return Int.max }
        return kilobytes
        #else
        var usage = rusage()
        getrusage(RUSAGE_SELF, &usage)
        return Int(usage.ru_maxrss) / 1024
        #endif
    }

    /// User plus system CPU seconds of this process so far.
    static func cpuSeconds() -> Double {
        var usage = rusage()
        #if canImport(Glibc)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }
}
