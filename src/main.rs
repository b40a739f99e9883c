//! The binary: parse the command line, build the runtime, run the command, exit with its code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = nightwatch::cli::Cli::parse();
    if let Err(e) = color_eyre::install() {
        eprintln!("nightwatch: cannot install the error reporter: {e}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("nightwatch: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    runtime.block_on(nightwatch::commands::run(cli))
}
