//! `llmf serve`: the course for a class over SSH, one session per connection.

use super::course_source::load_for_session;
use super::{Draw, Failure, Global, Outcome};
use llmf::driver::serve::{self, Looks, ServeArgs};
use llmf::errln;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    serve: ServeArgs,
    #[command(flatten)]
    draw: Draw,
}

pub fn run(args: Args, global: Global) -> Outcome {
    let draw = global.draw.or(args.draw);
    let looks = Looks {
        no_color: draw.no_color(),
        ascii: draw.ascii,
        unicode: draw.unicode,
    };
    let course = load_for_session(global.lessons).ok_or_else(Failure::said)?;
    // Every lesson parsed before the first learner connects, so no session waits for one;
    // a lesson with problems opens as a list of them, which the teacher hears of now.
    course.parse_all();
    for p in course.lessons.iter().flat_map(|l| l.steps.problems()) {
        errln!(
            "llmf: {} (learners see this lesson's problems in its place)",
            llmf::text::sanitize::field(&p.to_string())
        );
    }
    serve::run(args.serve, course, looks).map_err(|e| Failure::new(format!("serve: {e}")))
}

/// mimalloc's knob for giving freed memory back to the system, and the value the server runs
/// with.
const PURGE_DELAY: (&str, &str) = ("MIMALLOC_PURGE_DELAY", "0");

/// `llmf serve` gives memory back as soon as it is freed: sessions come and go all class long,
/// and with mimalloc's default delay the pages a departed session freed stayed with the
/// process for a long while (`tests/support/serve_floods.py` prints the server's memory before,
/// at the peak and after a class leaves). The allocator reads the setting from the environment
/// as the process starts, so the server starts itself once more with it set: no environment is
/// edited while threads run. If that fails, it goes on as it is.
pub fn serve_with_memory_given_back() {
    use std::os::unix::process::CommandExt;
    let (name, value) = PURGE_DELAY;
    if std::env::var_os(name).is_some() {
        return;
    }
    let Ok(me) = std::env::current_exe() else {
        return;
    };
    let err = std::process::Command::new(me)
        .args(std::env::args_os().skip(1))
        .env(name, value)
        .exec();
    errln!("llmf: could not restart with memory given back early ({err}); going on");
}
