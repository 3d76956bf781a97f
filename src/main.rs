//! `llmf`: the command line (`src/cli/`, one file per command). Without a command it opens
//! the course in the terminal.

mod cli;

use clap::Parser;
use std::process::ExitCode;

/// The app allocates with mimalloc. Why: a training step allocates a few hundred tensors of
/// 100–500 KB and frees them again; glibc's malloc hands such blocks back to the kernel and
/// takes them again on the next step (page faults, time in the kernel), while mimalloc keeps
/// freed pages for reuse. It changes where memory comes from, never a number. Chosen here, in
/// the binary, so a program that uses the library picks its own.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    if cli.serves() {
        cli::serve_with_memory_given_back();
    }
    // Before any thread exists: the only time the environment may be set.
    llmf::labs::lm::threads::set_at_start();
    cli::run(cli)
}
