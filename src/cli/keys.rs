//! `llmf keys`: every key binding, from the one key table the app uses.

use super::Outcome;
use llmf::{out, outln};

#[derive(clap::Args)]
pub struct Args {
    /// Print the Markdown table README.md carries.
    #[arg(long)]
    markdown: bool,
}

pub fn run(args: Args) -> Outcome {
    if args.markdown {
        out!("{}", llmf::keymap::markdown_table());
    } else {
        for b in llmf::keymap::BINDINGS {
            outln!("{:<12} {:<20} {}", b.context.name(), b.label, b.help);
        }
    }
    llmf::text::output::flush();
    Ok(())
}
