//! `llmf open LESSON` (and `llmf` alone): the course in the terminal.

use super::course_source::{load_for_session, starting_at};
use super::{Draw, Failure, Global, Outcome};
use llmf::app::App;
use llmf::progress::{default_dir, Store};
use llmf::ui::theme::Theme;
use std::io::IsTerminal;

#[derive(clap::Args)]
pub struct Args {
    /// Lesson number (06) or slug (attention-math).
    lesson: String,
    /// Step number, from 1.
    #[arg(long, default_value_t = 1)]
    step: usize,
    #[command(flatten)]
    draw: Draw,
}

pub fn run(args: Args, global: Global) -> Outcome {
    course(
        Some((args.lesson, args.step)),
        global.draw.or(args.draw),
        global,
    )
}

/// Opens the course in the terminal, at `start` (a lesson and a 1-based step) if given, else
/// where the learner left off.
pub fn course(start: Option<(String, usize)>, draw: Draw, global: Global) -> Outcome {
    let ascii = draw.ascii_for_terminal();
    let theme = Theme::new(draw.no_color(), ascii);
    let Some(course) = load_for_session(global.lessons) else {
        return Err(Failure::said());
    };
    let at = match start.map(|(lesson, step)| course.locate(&lesson, step)) {
        Some(Err(e)) => return Err(Failure::new(e)),
        Some(Ok(at)) => Some(at),
        None => None,
    };
    // A wrong lesson or step is reported even without a terminal; then the terminal is needed.
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(Failure::usage(
            "the course needs a terminal. To print a step as text, try `llmf render 05`.",
        ));
    }
    if let Some(why) = llmf::driver::tty::unusable_reason(std::env::var("TERM").ok().as_deref()) {
        return Err(Failure::usage(why));
    }
    let (store, progress, messages) = Store::open(default_dir());
    let size = ratatui::crossterm::terminal::size().unwrap_or((80, 24));
    let progress = match at {
        Some((lesson, step)) => starting_at(&course, lesson, step, progress),
        None => progress,
    };
    let mut app = App::new(course, progress, store, llmf::ui::options(ascii), size);
    if let Some((lesson, step)) = at {
        app.open_at(lesson, step);
    }
    app.add_notices(messages);
    llmf::driver::term::run(app, theme).map_err(Failure::new)
}
