import ArgumentParser
import TorchCheckpoint

/// Options every reporting subcommand shares.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print machine-readable JSON instead of a table.")
    var json = false
}

/// How input files are read, shared by the commands that read checkpoints.
struct ReadingOptions: ParsableArguments {
    @Flag(help: "Read torch.save(model) pickles and TorchScript archives: classes outside the allowlist become inert placeholders (nothing is imported or called) and tensors are named by module path.")
    var fullModel = false

    @Flag(help: "With --full-model, also list a TorchScript archive's tensor constants (constants.pkl) as constants.c0, constants.c1, ...; they are not part of its state_dict.")
    var torchscriptConstants = false

    var readOptions: ReadOptions {
        ReadOptions(unknownGlobals: fullModel ? .placeholder : .refuse, torchScriptConstants: torchscriptConstants)
    }
}
