import ArgumentParser

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check golden fixtures (placeholder until TorchNN lands).")
    func run() throws { throw ExitCode(2) }
}
