//! Snapshots of whole screens of the fixture course (`tests/fixtures/course`) at 80x24 and
//! 160x48, as plain text: prose, a question, a visualizer, the help overlay and `--ascii`;
//! plus style checks where reverse video carries meaning, and an ASCII check over every step
//! of the built-in course. Review changed snapshots with `make snapshots`.

use crate::common;

use common::{built_in, draw_buffer, fixture};
use llmf::app::{Action, App};
use llmf::progress::{Progress, Store};
use llmf::ui::{self, theme::Theme};
use ratatui::buffer::Buffer;
use ratatui::style::Modifier;

/// A step of `course` drawn at a size, after some actions.
fn screen_of(
    course: llmf::course::Course,
    (lesson, step): (usize, usize),
    (w, h): (u16, u16),
    actions: &[Action],
    theme: &Theme,
) -> (String, Buffer) {
    let mut app = App::new(
        course,
        Progress::default(),
        Store::memory(),
        llmf::ui::options(theme.ascii),
        (w, h),
    );
    app.open_at(lesson, step);
    for a in actions {
        app.update(*a);
    }
    let buf = draw_buffer(&app, theme);
    (ui::buffer_text(&buf), buf)
}

fn screen(at: (usize, usize), size: (u16, u16), actions: &[Action]) -> String {
    screen_of(fixture(), at, size, actions, &Theme::default_color()).0
}

macro_rules! snap {
    ($name:ident, $at:expr, $size:expr, $actions:expr) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(screen($at, $size, $actions));
        }
    };
}

snap!(prose_80x24, (0, 0), (80, 24), &[]);
snap!(prose_160x48, (0, 0), (160, 48), &[]);
snap!(prose_scrolled_80x24, (0, 0), (80, 24), &[Action::PageDown]);
snap!(
    choice_answered_80x24,
    (0, 1),
    (80, 24),
    &[Action::FocusNext, Action::Char('2'), Action::Enter]
);
snap!(choice_160x48, (0, 1), (160, 48), &[]);
snap!(numeric_typed_80x24, (0, 2), (80, 24), &[Action::Char('7')]);
snap!(
    softmax_focused_80x24,
    (1, 0),
    (80, 24),
    &[Action::FocusNext]
);
snap!(softmax_160x48, (1, 0), (160, 48), &[]);
snap!(matmul_focused_80x24, (1, 1), (80, 24), &[Action::FocusNext]);
snap!(help_80x24, (0, 0), (80, 24), &[Action::ToggleHelp]);
snap!(picker_60x16, (1, 0), (60, 16), &[Action::OpenPicker]);
snap!(
    picker_typed_80x24,
    (0, 0),
    (80, 24),
    &[Action::OpenPicker, Action::Char('t'), Action::Char('r')]
);
snap!(
    help_on_a_visualizer_160x48,
    (1, 0),
    (160, 48),
    &[Action::FocusNext, Action::ToggleHelp]
);

snap!(
    zoomed_softmax_80x24,
    (1, 0),
    (80, 24),
    &[Action::ToggleZoom]
);

/// The zoom key shows the step's panel on the whole terminal: at 80x24 a chart keeps at least
/// 18 plot rows, and the same key (or Esc) brings the lesson back as it was.
#[test]
fn zoom_gives_a_chart_the_whole_terminal_and_back() {
    let course = built_in();
    let (li, si) = step_with_kind(&course, "chinchilla");
    let theme = Theme::default_color();
    let (before, _) = screen_of(course.clone(), (li, si), (80, 24), &[], &theme);
    let (zoomed, _) = screen_of(
        course.clone(),
        (li, si),
        (80, 24),
        &[Action::ToggleZoom],
        &theme,
    );
    assert!(
        plot_rows(&zoomed) >= 18,
        "{} plot rows\n{zoomed}",
        plot_rows(&zoomed)
    );
    assert!(plot_rows(&before) < 18, "{before}");
    assert!(
        zoomed.lines().next().unwrap_or("").contains("z back"),
        "{zoomed}"
    );
    for back in [Action::ToggleZoom, Action::Back] {
        let (again, _) = screen_of(
            course.clone(),
            (li, si),
            (80, 24),
            &[Action::ToggleZoom, back],
            &theme,
        );
        // Back from the zoom the panel has the focus it was given; the prose is as it was.
        let unzoomed_focused = screen_of(
            course.clone(),
            (li, si),
            (80, 24),
            &[Action::FocusNext],
            &theme,
        )
        .0;
        assert_eq!(again, unzoomed_focused, "{back:?}");
    }
    // A heatmap zoomed uses the whole width.
    let (li, si) = step_with_kind(&course, "attention-map");
    let (heat, _) = screen_of(course, (li, si), (80, 24), &[Action::ToggleZoom], &theme);
    let right = heat
        .lines()
        .skip(1)
        .take(22)
        .map(unicode_width::UnicodeWidthStr::width)
        .max()
        .unwrap_or(0);
    assert!(right >= 70, "the heatmap ends at column {right}\n{heat}");
}

/// The first step of the built-in course whose panel is of `kind`.
fn step_with_kind(course: &llmf::course::Course, kind: &str) -> (usize, usize) {
    for (li, lesson) in course.lessons.iter().enumerate() {
        for (si, step) in lesson.steps.iter().enumerate() {
            if let Some(llmf::course::Panel::Viz(spec)) = &step.panel {
                if spec.kind == kind {
                    return (li, si);
                }
            }
        }
    }
    panic!("no step shows {kind}")
}

/// Rows of the first chart on a screen: those with its y axis (`│` or a tick `┤`) in the
/// column of the corner `└` below them.
fn plot_rows(screen: &str) -> usize {
    let rows: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let Some((y, x)) = rows
        .iter()
        .enumerate()
        .find_map(|(y, r)| r.iter().position(|c| *c == '└').map(|x| (y, x)))
    else {
        return 0;
    };
    rows[..y]
        .iter()
        .rev()
        .take_while(|r| matches!(r.get(x), Some('│' | '┤')))
        .count()
}

/// `llmf render NN --step K --zoom` prints the zoomed screen.
#[test]
fn render_zoom_prints_the_zoomed_screen() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_llmf"))
        .args(["render", "17", "--step", "4", "--zoom"])
        .output()
        .expect("runs llmf");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("zoom"), "{text}");
}

#[test]
fn ascii_prose_80x24() {
    let (text, _) = screen_of(fixture(), (0, 0), (80, 24), &[], &Theme::new(true, true));
    insta::assert_snapshot!(text);
}

/// `--ascii` promises 7-bit output: no box drawing, arrows or blocks, and no maths or
/// typography either (`·`, `×`, `√`, `…`, `ᵀ` are spelled out).
fn is_fancy_glyph(c: char) -> bool {
    !c.is_ascii()
}

/// Greek letters are maths here, and `--ascii` spells them (θ is `theta`).
fn is_greek(c: char) -> bool {
    ('\u{370}'..='\u{3ff}').contains(&c)
}

#[test]
fn ascii_mode_draws_only_7_bit_characters_on_any_step() {
    let course = built_in();
    let theme = Theme::new(true, true);
    let mut missing = std::collections::BTreeSet::new();
    for (li, lesson) in course.lessons.iter().enumerate() {
        for step in 0..lesson.steps.len() {
            for (size, actions) in [
                ((100, 30), &[][..]),
                ((80, 24), &[Action::FocusNext][..]),
                ((160, 48), &[Action::FocusNext][..]),
                ((80, 24), &[Action::OpenPicker][..]),
                ((80, 24), &[Action::ToggleHelp][..]),
            ] {
                // The overlays do not depend on the step: once per lesson is enough.
                if step > 0 && actions.len() == 1 && actions[0] != Action::FocusNext {
                    continue;
                }
                let (text, _) = screen_of(course.clone(), (li, step), size, actions, &theme);
                let bad: String = text.chars().filter(|c| is_fancy_glyph(*c)).collect();
                assert!(
                    bad.is_empty(),
                    "{} step {} at {size:?}: {bad:?}\n{text}",
                    lesson.slug,
                    step + 1
                );
                // Maths stays readable: every symbol the Unicode screen shows has an ASCII
                // form, so `--ascii` adds no `?` but for letters of other scripts (lesson
                // 02's sentences, lesson 01's 東京).
                if size == (80, 24) && actions == [Action::FocusNext] {
                    let (uni, _) = screen_of(
                        course.clone(),
                        (li, step),
                        size,
                        actions,
                        &Theme::new(true, false),
                    );
                    for c in uni.chars() {
                        if c.is_ascii() || (c.is_alphabetic() && !is_greek(c)) {
                            continue;
                        }
                        let spelled =
                            llmf::text::ascii::fold(c.encode_utf8(&mut [0; 4])).into_owned();
                        if spelled.contains('?') || llmf::text::ascii::fold_char(c) == '?' {
                            missing.insert((c, format!("{} step {}", lesson.slug, step + 1)));
                        }
                    }
                }
            }
        }
    }
    let list: Vec<String> = missing
        .iter()
        .map(|(c, at)| format!("{c:?} U+{:04X} ({at})", u32::from(*c)))
        .collect();
    assert!(list.is_empty(), "symbols without an ASCII form: {list:#?}");
}

#[test]
fn focus_and_selection_do_not_rely_on_colour() {
    let theme = Theme::new(true, false); // NO_COLOR
    let (text, buf) = screen_of(fixture(), (1, 1), (80, 24), &[Action::FocusNext], &theme);
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

/// What a panel must never show a learner: a number that failed to compute (NaN, an
/// infinity) or a panic's message. "inf" inside a word (info, infinite) is prose.
fn broken_number(text: &str) -> Option<&'static str> {
    // Softmax's panel explains the overflow it avoids ("… overflows to inf → inf/inf = NaN").
    let text: String = text
        .lines()
        .filter(|l| !l.contains("overflows to inf"))
        .collect::<Vec<_>>()
        .join("\n");
    let text = text.as_str();
    ["NaN", "inf", "panicked"].into_iter().find(|bad| {
        text.match_indices(*bad).any(|(i, _)| {
            let before = text[..i].chars().next_back();
            let after = text[i + bad.len()..].chars().next();
            !before.is_some_and(char::is_alphabetic) && !after.is_some_and(char::is_alphabetic)
        })
    })
}

#[test]
fn the_broken_number_check_can_fail() {
    assert_eq!(broken_number("loss NaN nats"), Some("NaN"));
    assert_eq!(broken_number("ratio -inf"), Some("inf"));
    assert_eq!(broken_number("information about infinite sums"), None);
}

/// Every kind, drawn with its defaults and after every control is pushed to both ends, shows
/// no failed number: catches a division by zero or an empty range at an extreme setting.
#[test]
fn no_panel_shows_a_failed_number_at_any_setting() {
    let theme = Theme::new(false, false);
    let drawn = |viz: &llmf::viz::Visualizer| {
        let height = llmf::ui::widgets::view_height(viz.view(), 120).clamp(1, 300);
        let area = ratatui::layout::Rect::new(0, 0, 120, height);
        let mut buf = Buffer::empty(area);
        llmf::ui::widgets::render_view(viz.view(), area, &mut buf, &theme, true);
        ui::buffer_text(&buf)
    };
    for def in llmf::viz::kinds::ALL {
        let spec = llmf::course::VizSpec {
            kind: def.name.to_string(),
            params: serde_json::Map::new(),
            line: 1,
            key_lines: Vec::new(),
            expect: Vec::new(),
        };
        let mut viz = llmf::viz::Visualizer::build(&spec).expect("builds with defaults");
        let text = drawn(&viz);
        if let Some(bad) = broken_number(&text) {
            panic!("{} shows {bad} with its defaults:\n{text}", def.name);
        }
        let controls = viz.view().controls.len();
        for i in 0..controls {
            viz.select(-100);
            viz.select(i as i32);
            for delta in [50, -100, 1] {
                viz.adjust(delta);
                let text = drawn(&viz);
                if let Some(bad) = broken_number(&text) {
                    panic!(
                        "{} shows {bad} after control {i} moved by {delta}:\n{text}",
                        def.name
                    );
                }
            }
        }
    }
}

#[test]
fn every_panel_line_can_be_brought_into_view_at_80x24() {
    let course = built_in();
    let theme = Theme::default_color();
    for (li, lesson) in course.lessons.iter().enumerate() {
        // Unfocused the panel shares the screen with more prose, so it scrolls more often.
        for (step, focus) in (0..lesson.steps.len()).flat_map(|s| [(s, false), (s, true)]) {
            let mut app = App::new(
                course.clone(),
                Progress::default(),
                Store::memory(),
                llmf::ui::options(false),
                (80, 24),
            );
            app.open_at(li, step);
            if focus {
                app.update(Action::FocusNext);
            }
            let Some(inner) = app.areas().panel_inner else {
                continue;
            };
            let rows = app.panel_rows();
            if rows <= inner.height {
                continue;
            }
            let first = ui::buffer_text(&common::draw_buffer(&app, &theme));
            assert!(
                first.contains(&format!("1-{} of {rows} ] more", inner.height)),
                "{} step {}: no scroll counter\n{first}",
                lesson.slug,
                step + 1
            );
            let mut presses = 0;
            while app.update(Action::PanelDown) {
                presses += 1;
                assert!(presses < 200, "scrolling never ends");
            }
            assert_eq!(
                app.panel_scroll() + inner.height,
                rows,
                "{} step {}: the last rows cannot be reached",
                lesson.slug,
                step + 1
            );
            let last = ui::buffer_text(&common::draw_buffer(&app, &theme));
            assert!(
                last.contains(&format!("of {rows} [ back")),
                "{} step {}\n{last}",
                lesson.slug,
                step + 1
            );
        }
    }
}

#[test]
fn no_two_outline_rows_read_alike_at_120_columns() {
    let course = built_in();
    let (text, _) = screen_of(course, (0, 0), (120, 40), &[], &Theme::default_color());
    let names: Vec<String> = text
        .lines()
        .filter_map(|l| l.get(..l.char_indices().nth(30).map_or(l.len(), |(i, _)| i)))
        .filter_map(|outline| {
            let t = outline.trim_matches(|c: char| c == '│' || c.is_whitespace());
            let t = t.trim_start_matches(['▶', '·', '✓', ' ']);
            // "05 From embeddings to …" -> "From embeddings to …"
            let (num, rest) = t.split_once(' ')?;
            (num.len() == 2 && num.chars().all(|c| c.is_ascii_digit())).then(|| rest.to_string())
        })
        .collect();
    assert!(names.len() >= 10, "{names:?}\n{text}");
    let mut seen = std::collections::HashSet::new();
    for n in &names {
        assert!(seen.insert(n), "two rows read {n:?}\n{text}");
    }
}

/// Regression: the class server's welcome for a key filled a 14-row box in the middle of an
/// 80x24 screen. It now takes its two lines and borders, just above the status line, and the
/// screen above it is the lesson as it was.
#[test]
fn the_sign_in_notice_is_compact_and_leaves_the_lesson_in_view() {
    let key = format!("SHA256:{}", "a1B2".repeat(10) + "xyz");
    let student = llmf::driver::serve::identity::Student::by_key(&key, "ada");
    let theme = Theme::default_color();
    let draw_with = |notice: bool| {
        let mut app = App::new(
            fixture(),
            Progress::default(),
            Store::memory(),
            llmf::ui::options(false),
            (80, 24),
        );
        app.open_at(0, 0);
        if notice {
            app.add_notices([llmf::driver::serve::driver::welcome(&student)]);
        }
        ui::buffer_text(&draw_buffer(&app, &theme))
    };
    let (plain, noticed) = (draw_with(false), draw_with(true));
    let rows: Vec<&str> = noticed.lines().collect();
    let top = rows.iter().position(|r| r.contains("Note")).unwrap();
    let bottom = rows.iter().position(|r| r.contains("any key")).unwrap();
    assert_eq!((top, bottom), (19, 22), "{noticed}");
    assert!(noticed.contains(&key), "{noticed}");
    // Everything above the box, and the status line below it, is as without the notice.
    let before: Vec<&str> = plain.lines().collect();
    assert_eq!(rows[..top], before[..top]);
    assert_eq!(rows[23], before[23]);
    insta::assert_snapshot!(noticed);
}
