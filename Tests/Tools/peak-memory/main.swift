// peak-memory: runs one program and reports that program's own peak resident
// set, CPU time and exit status — a test tool, not part of any product.
//
//     peak-memory REPORT KILL_AFTER_SECONDS ADDRESS_SPACE_BYTES PROGRAM [ARGUMENT...]
//
// Why a separate process: on Linux, a child's `ru_maxrss` starts from the
// resident set of the process that spawned it (exec keeps the high-water mark
// of the image it replaces, and posix_spawn's child runs on its parent's
// memory until exec). Spawned from the test runner, whose resident set moves
// with whatever tests run beside it, a child's "peak" was partly the runner's.
// Spawned from this small process it is the program's own (plus this tool's
// few MB, reported as `floor_kb` so a test can tell).
//
// The program inherits standard input, output and error. The report is one
// line of `key=value` pairs written to REPORT: exit (or -), signal (or -),
// maxrss_kb, floor_kb, cpu_s (user + system), wall_s, killed (0/1).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func fail(_ message: String) -> Never {
    let line = "peak-memory: \(message)\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(64)
}

let arguments = CommandLine.arguments
guard arguments.count >= 5, let killAfter = Double(arguments[2]), killAfter > 0,
      let addressSpace = UInt64(arguments[3]) else {
    fail("usage: peak-memory REPORT KILL_AFTER_SECONDS ADDRESS_SPACE_BYTES PROGRAM [ARGUMENT...]")
}
let reportPath = arguments[1]
let program = Array(arguments[4...])

/// Peak resident set in KB from a `rusage` (Linux reports KB, Darwin bytes).
func kilobytes(_ usage: rusage) -> Int {
    #if canImport(Darwin)
    return Int(usage.ru_maxrss) / 1024
    #else
    return Int(usage.ru_maxrss)
    #endif
}

func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }

func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

// The ceiling applies to this process and is inherited by the program.
if addressSpace > 0 {
    var limit = rlimit(rlim_cur: rlim_t(addressSpace), rlim_max: rlim_t(addressSpace))
    #if canImport(Glibc)
    setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit)
    #else
    setrlimit(RLIMIT_AS, &limit)
    #endif
}

/// This process's own high-water mark in KB: what the program's figure starts
/// from. (Its `ru_maxrss` would include the test runner's, for the reason above.)
func ownPeakKB() -> Int {
    #if canImport(Glibc)
    guard let status = fopen("/proc/self/status", "r") else { return -1 }
    defer { fclose(status) }
    var line = [CChar](repeating: 0, count: 256)
    while fgets(&line, Int32(line.count), status) != nil {
        let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix("VmHWM:") {
            return Int(text.dropFirst(6).filter(\.isNumber)) ?? -1
        }
    }
    return -1
    #else
    var own = rusage()
    getrusage(RUSAGE_SELF, &own)
    return kilobytes(own)
    #endif
}
let floor = ownPeakKB()

let argv = program.map { strdup($0) } + [nil]
var pid: pid_t = 0
let started = now()
let spawned = posix_spawnp(&pid, program[0], nil, nil, argv, environ)
guard spawned == 0 else { fail("cannot start \(program[0]): \(String(cString: strerror(spawned)))") }

var status: Int32 = 0
var usage = rusage()
var killed = false
while true {
    let reaped = wait4(pid, &status, WNOHANG, &usage)
    if reaped == pid { break }
    if reaped < 0, errno != EINTR { fail("wait4: \(String(cString: strerror(errno)))") }
    if !killed, now() - started > killAfter {
        kill(pid, SIGKILL)
        killed = true
    }
    usleep(5_000)
}
let wall = now() - started
let signal = status & 0x7F
let exitCode = signal == 0 ? String((status >> 8) & 0xFF) : "-"
let report = "exit=\(exitCode) signal=\(signal == 0 ? "-" : String(signal)) maxrss_kb=\(kilobytes(usage)) "
    + "floor_kb=\(floor) cpu_s=\(seconds(usage.ru_utime) + seconds(usage.ru_stime)) wall_s=\(wall) killed=\(killed ? 1 : 0)\n"
guard let file = fopen(reportPath, "w") else { fail("cannot write \(reportPath)") }
fputs(report, file)
fclose(file)
