//! `llmf render LESSON --step K`: one step printed exactly as the screen shows it.

use super::course_source::{source_for, starting_at};
use super::{Draw, Failure, Global, Outcome};
use llmf::app::{Action, App};
use llmf::course;
use llmf::progress::Store;
use llmf::text::sanitize;
use llmf::ui::{self, theme::Theme};
use llmf::{errln, out};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct Args {
    /// Lesson number (06) or slug (attention-math).
    lesson: String,
    /// Step number, from 1.
    #[arg(long, default_value_t = 1)]
    step: usize,
    /// Screen size as WIDTHxHEIGHT.
    #[arg(long, default_value = "80x24", value_parser = parse_size)]
    size: (u16, u16),
    /// Give the panel the focus (as after pressing Tab).
    #[arg(long)]
    panel: bool,
    /// Wait (up to 10 s) for background work such as training or timing, and print the
    /// screen it leads to.
    #[arg(long)]
    settle: bool,
    /// Show the step's panel zoomed onto the whole screen (the `z` key).
    #[arg(long)]
    zoom: bool,
    #[command(flatten)]
    draw: Draw,
}

fn parse_size(s: &str) -> Result<(u16, u16), String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("size must look like 80x24, not {s}"))?;
    let w: u16 = w.trim().parse().map_err(|_| format!("bad width in {s}"))?;
    let h: u16 = h.trim().parse().map_err(|_| format!("bad height in {s}"))?;
    if w == 0 || h == 0 || w > 1000 || h > 500 {
        return Err(format!("size {s} is out of range (1x1 to 1000x500)"));
    }
    Ok((w, h))
}

pub fn run(args: Args, global: Global) -> Outcome {
    let draw = global.draw.or(args.draw);
    let theme = Theme::new(draw.no_color(), draw.ascii);
    let (source, prefix) = source_for(global.lessons);
    // Only the lesson asked for is parsed: a broken one elsewhere does not stop it.
    let (course, problems) = course::open(source.as_ref());
    let Some(course) = course.filter(|c| !c.lessons.is_empty()) else {
        for p in &problems {
            errln!("{}", sanitize::field(&format!("{prefix}{p}")));
        }
        return Err(Failure::new(format!(
            "the course at {prefix} does not load: run `llmf check`"
        )));
    };
    if let Some(lesson) = course.find(&args.lesson).map(|i| &course.lessons[i]) {
        let problems = lesson.steps.problems();
        if !problems.is_empty() {
            for p in problems {
                errln!("{}", sanitize::field(&format!("{prefix}{p}")));
            }
            return Err(Failure::new(format!(
                "lesson {} ({}) has problems: fix them (`llmf check` lists every problem)",
                args.lesson, lesson.file
            )));
        }
    }
    let (index, step) = course.locate(&args.lesson, args.step)?;
    let size = args.size;
    let progress = starting_at(&course, index, step, Default::default());
    let opts = ui::options(draw.ascii);
    let mut app = App::new(course, progress, Store::memory(), opts, size);
    app.open_at(index, step);
    if args.panel {
        app.update(Action::FocusNext);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while args.settle && app.busy() && Instant::now() < deadline {
        app.update(Action::Tick);
        std::thread::sleep(Duration::from_millis(20));
    }
    if args.zoom {
        app.update(Action::ToggleZoom);
    }
    let area = Rect::new(0, 0, size.0, size.1);
    let mut buf = Buffer::empty(area);
    ui::render(&app, area, &mut buf, &theme);
    out!("{}", sanitize::lines(&ui::buffer_text(&buf)));
    Ok(())
}
