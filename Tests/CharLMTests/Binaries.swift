import Foundation

/// Runs the executables SwiftPM built next to the test bundle, as a user would.
enum Binaries {
    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func url(_ name: String) -> URL {
        var candidates: [URL] = []
        if let executable = Bundle.main.executableURL { candidates.append(executable.deletingLastPathComponent()) }
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        candidates.append(CharLMFixture.root.appendingPathComponent(".build/debug"))
        for directory in candidates {
            let url = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return CharLMFixture.root.appendingPathComponent(".build/debug/\(name)")
    }

    static func run(_ name: String, _ arguments: [String]) throws -> Run {
        let process = Process()
        process.executableURL = url(name)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // charlm and ptconvert write at most a line or two on stderr: reading stdout first cannot block.
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus,
                   stdout: String(decoding: outData, as: UTF8.self),
                   stderr: String(decoding: errData, as: UTF8.self))
    }
}
