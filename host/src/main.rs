//! The `credence` binary: everything lives in the library; see `credence --help`.

fn main() -> std::process::ExitCode {
    credence::cli::main()
}
