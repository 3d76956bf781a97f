//! Snapshots of real screens: each Part II lesson's first step and one visualizer step, at
//! 80x24 and 160x48, as plain text; plus style checks where reverse video carries meaning.

use llmf::app::{Action, App, Options};
use llmf::course::embedded::Embedded;
use llmf::course::Panel;
use llmf::progress::{Progress, Store};
use llmf::ui::{self, theme::Theme};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;

fn screen(
    lesson: &str,
    step: usize,
    (w, h): (u16, u16),
    focus_panel: bool,
    theme: &Theme,
) -> (String, Buffer) {
    let course = shared_course();
    let index = course.find(lesson).expect("lesson exists");
    let mut app = App::new(
        course,
        Progress::default(),
        Store::memory(),
        Options { ascii: theme.ascii },
        (w, h),
    );
    app.open_at(index, step);
    if focus_panel {
        app.update(Action::FocusNext);
    }
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    ui::render(&app, area, &mut buf, theme);
    (ui::buffer_text(&buf), buf)
}

/// The first step of the lesson that holds a visualizer.
fn first_viz_step(lesson: &str) -> usize {
    let course = shared_course();
    let l = &course.lessons[course.find(lesson).expect("lesson")];
    l.steps
        .iter()
        .position(|s| matches!(s.panel, Some(Panel::Viz(_))))
        .expect("a visualizer step")
}

macro_rules! snap {
    ($name:ident, $lesson:expr, $which:expr, $size:expr) => {
        #[test]
        fn $name() {
            let step = match $which {
                "first" => 0,
                _ => first_viz_step($lesson),
            };
            let (text, _) = screen(
                $lesson,
                step,
                $size,
                $which != "first",
                &Theme::default_color(),
            );
            insta::assert_snapshot!(text);
        }
    };
}

snap!(matmul_first_80x24, "05", "first", (80, 24));
snap!(matmul_first_160x48, "05", "first", (160, 48));
snap!(matmul_viz_80x24, "05", "viz", (80, 24));
snap!(matmul_viz_160x48, "05", "viz", (160, 48));
snap!(attention_math_first_80x24, "06", "first", (80, 24));
snap!(attention_math_first_160x48, "06", "first", (160, 48));
snap!(attention_math_viz_80x24, "06", "viz", (80, 24));
snap!(attention_math_viz_160x48, "06", "viz", (160, 48));
snap!(rnn_first_80x24, "07", "first", (80, 24));
snap!(rnn_first_160x48, "07", "first", (160, 48));
snap!(rnn_viz_80x24, "07", "viz", (80, 24));
snap!(rnn_viz_160x48, "07", "viz", (160, 48));

/// Characters that `--ascii` promises not to draw: box drawing, block elements, arrows,
/// geometric shapes and Braille. (Lesson prose may still quote maths such as `·` or `√`.)
fn is_fancy_glyph(c: char) -> bool {
    matches!(u32::from(c), 0x2190..=0x21FF | 0x2500..=0x259F | 0x25A0..=0x25FF | 0x2800..=0x28FF)
}

#[test]
fn ascii_mode_draws_no_box_block_or_arrow_glyphs_on_any_step() {
    let course = shared_course();
    let theme = Theme::new(true, true);
    for lesson in &course.lessons {
        for step in 0..lesson.steps.len() {
            for (size, focus) in [((100, 30), false), ((80, 24), true), ((160, 48), true)] {
                let (text, _) = screen(&lesson.slug, step, size, focus, &theme);
                let bad: String = text.chars().filter(|c| is_fancy_glyph(*c)).collect();
                assert!(
                    bad.is_empty(),
                    "{} step {} at {size:?}: {bad:?}\n{text}",
                    lesson.slug,
                    step + 1
                );
            }
        }
    }
}

#[test]
fn focus_and_selection_do_not_rely_on_colour() {
    let theme = Theme::new(true, false); // NO_COLOR
    let (text, buf) = screen("05", first_viz_step("05"), (80, 24), true, &theme);
    // The focused pane's title carries a marker, the selected control a marker and reverse video.
    assert!(text.contains("▶ Try it: Matrix multiplication"), "{text}");
    let (x, y) = find(&text, "▸ output cell").expect("selected control marker");
    assert!(buf[(x as u16 + 2, y as u16)]
        .modifier
        .contains(Modifier::REVERSED));
    // No colour anywhere.
    for cell in buf.content() {
        assert_eq!(
            cell.fg,
            ratatui::style::Color::Reset,
            "colour used with NO_COLOR"
        );
    }
}

/// Column (in cells) and row of the first occurrence of `needle`.
fn find(text: &str, needle: &str) -> Option<(usize, usize)> {
    text.lines().enumerate().find_map(|(y, line)| {
        line.find(needle)
            .map(|byte| (unicode_width::UnicodeWidthStr::width(&line[..byte]), y))
    })
}

/// The built-in course, loaded and checked once for the whole test binary.
fn shared_course() -> llmf::course::Course {
    static COURSE: std::sync::OnceLock<llmf::course::Course> = std::sync::OnceLock::new();
    COURSE
        .get_or_init(|| llmf::check::load_checked(&Embedded).expect("built-in course"))
        .clone()
}
