use std::process::ExitCode;

fn main() -> ExitCode {
    bbb_migrate::cli::main()
}
