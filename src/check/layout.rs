//! One lesson's screens: every visualizer builds, code lines fit the narrowest prose column,
//! each panel and question fits an 80x24 screen, and the pinned instructions stay in view.

use super::{check_expectations, NARROW_SIDE, SMALL};
use crate::app::layout;
use crate::app::{Feedback, PanelState, QuizState};
use crate::course::{prose, Panel, Problem};
use crate::viz::view::ControlKind;
use crate::viz::Visualizer;
use ratatui::layout::Rect;

/// The prose column's narrowest width beside (or above) `panel`: stacked at 80 wide, or side by
/// side at the narrowest width that puts them side by side. Code lines are drawn two columns
/// in and never wrapped, so they may be two characters shorter than this.
pub fn narrowest_prose(panel: &PanelState) -> u16 {
    let small = Rect::new(0, 0, SMALL.0, SMALL.1);
    if matches!(panel, PanelState::None) {
        return layout::areas(
            small,
            false,
            panel,
            false,
            crate::ui::options(false),
            &|_| 0,
        )
        .prose_text
        .width;
    }
    let stacked = layout::areas(small, false, panel, true, crate::ui::options(false), &|_| 0);
    let side = layout::areas(
        Rect::new(0, 0, NARROW_SIDE.0, NARROW_SIDE.1),
        false,
        panel,
        true,
        crate::ui::options(false),
        &|_| 0,
    );
    if side.side_by_side {
        stacked.prose_text.width.min(side.prose_text.width)
    } else {
        stacked.prose_text.width
    }
}

/// One lesson's own checks: every visualizer builds, code lines fit the prose column, each
/// panel and question fits an 80x24 screen; with `quotes`, every number the prose quotes from
/// a panel is on it ([`check_expectations`]). Lessons are independent, so
/// [`check_lessons`] runs them side by side.
pub fn check_lesson(lesson: &crate::course::Lesson, quotes: bool) -> Vec<Problem> {
    let mut problems = Vec::new();
    let small = Rect::new(0, 0, SMALL.0, SMALL.1);
    let file = lesson.file.as_str();
    for step in &lesson.steps {
        let panel = match &step.panel {
            None => PanelState::None,
            Some(Panel::Viz(spec)) => match Visualizer::build(spec) {
                Ok(v) => PanelState::Viz(Box::new(v)),
                Err(e) => {
                    problems.push(Problem::new(file, spec.line_for(&e), e));
                    continue;
                }
            },
            Some(Panel::Quiz(q)) => PanelState::Quiz(QuizState {
                quiz: q.clone(),
                selected: 0,
                input: String::new(),
                feedback: Some(Feedback::Wrong),
                misses: 2,
                tries: 2,
            }),
        };
        let prose_width = narrowest_prose(&panel);
        let stacked = layout::areas(
            small,
            false,
            &panel,
            true,
            crate::ui::options(false),
            &|_| 0,
        );
        for (line, text) in &step.code_lines {
            // Code is drawn two columns in and never wrapped.
            let w = unicode_width::UnicodeWidthStr::width(text.as_str()) + 2;
            if w > usize::from(prose_width) {
                problems.push(Problem::new(
                    file,
                    *line,
                    format!(
                        "code line is {} columns wide but the prose column is {} at its narrowest; shorten it to {} characters",
                        w - 2,
                        prose_width,
                        prose_width.saturating_sub(2)
                    ),
                ));
            }
        }
        if let (Some(inner), false) = (stacked.panel_inner, matches!(panel, PanelState::None)) {
            let needs = match (&panel, &step.panel) {
                (PanelState::Quiz(q), _) => crate::ui::quiz::max_height(q, inner.width, false),
                (_, Some(Panel::Viz(spec))) => tallest_view(spec, inner.width),
                (other, _) => layout::panel_needs(other, inner.width, crate::ui::options(false)),
            };
            // With the panel focused it may take all but what the prose box keeps: its
            // minimum rows, or the step's pinned instructions. A visualizer taller than
            // that scrolls ([ and ]), up to two boxes' worth; a question must fit whole,
            // its choices and explanation in one view.
            let (available, pinned) = focused_room(file, step);
            problems.extend(pinned);
            let allowed = match &step.panel {
                Some(Panel::Viz(_)) => available * 2,
                _ => available,
            };
            if needs > allowed {
                let (line, what) = match &step.panel {
                    Some(Panel::Viz(v)) => (v.line, format!("visualizer \"{}\"", v.kind)),
                    Some(Panel::Quiz(q)) => (
                        q.line,
                        format!("question \"{}\" (with its explanation showing)", q.id),
                    ),
                    None => (step.line, String::new()),
                };
                problems.push(Problem::new(
                    file,
                    line,
                    format!(
                        "{what} needs {needs} rows but at most {allowed} fit at {}x{} (with scrolling for a visualizer): shorten the text or use smaller parameters",
                        SMALL.0, SMALL.1
                    ),
                ));
            }
        }
    }
    if quotes {
        for step in &lesson.steps {
            if let Some(Panel::Viz(spec)) = &step.panel {
                problems.extend(check_expectations(&lesson.file, spec));
            }
        }
    }
    problems
}

/// Rows a stacked panel's content gets at 80x24 while it has the focus, and a problem when
/// the step's instructions ("Try this:" and its list, pinned in the prose box meanwhile) are
/// taller than the box shows even with each item cut to its first sentence: the pinned box
/// does not scroll, so the last things to try would be out of sight while the learner does
/// them.
fn focused_room(file: &str, step: &crate::course::Step) -> (u16, Option<Problem>) {
    let instructions = match &step.panel {
        Some(Panel::Viz(_)) => crate::course::instructions::instructions(&step.prose),
        _ => None,
    };
    // ASCII spellings (`sqrt`, `->`) can be longer: the taller of the two counts.
    let rows = |width: u16| {
        instructions.as_deref().map_or(0, |blocks| {
            let most = usize::from(layout::max_pinned_rows(SMALL.1));
            [false, true]
                .map(|ascii| {
                    let pinned = crate::course::instructions::pinned(
                        blocks,
                        usize::from(width),
                        most,
                        ascii,
                    );
                    prose::layout(&pinned, usize::from(width), ascii).len()
                })
                .into_iter()
                .max()
                .map_or(0, |n| u16::try_from(n).unwrap_or(u16::MAX))
        })
    };
    // A panel taller than the screen, so the layout gives it all it may take.
    let tall = PanelState::Broken("word ".repeat(2000));
    let small = Rect::new(0, 0, SMALL.0, SMALL.1);
    let areas = layout::areas(small, false, &tall, true, crate::ui::options(false), &rows);
    let available = areas.panel_inner.map_or(0, |r| r.height);
    let shown = areas.prose_text.height;
    let needed = rows(areas.prose_text.width);
    let problem = (areas.pinned && needed > shown).then(|| {
        Problem::new(
            file,
            step.line,
            format!(
                "the step's instructions (the list after the paragraph ending in a colon) take {needed} rows at {} columns even cut to each item's first sentence, but while the panel has the focus at {}x{} the prose box pins only {shown}: shorten the list or its first sentences",
                areas.prose_text.width, SMALL.0, SMALL.1
            ),
        )
    });
    (available, problem)
}

/// The most rows a visualizer's view takes at `width` over the states a learner reaches by
/// moving one control at a time: every option of each choice and toggle, and both ends of
/// each slider.
pub fn tallest_view(spec: &crate::course::VizSpec, width: u16) -> u16 {
    let measure = |v: &Visualizer| crate::ui::widgets::view_height(v.view(), width);
    let Ok(first) = Visualizer::build_to_measure(spec) else {
        return 0;
    };
    let mut tallest = measure(&first);
    for index in 0..first.view().controls.len() {
        let steps: Vec<i32> = match &first.view().controls[index].kind {
            ControlKind::Choice { options, .. } => vec![1; options.len()],
            ControlKind::Toggle(_) => vec![1],
            ControlKind::Slider { .. } => vec![-100_000, 200_000],
            // Typed text is bounded by the kind's own limits (words and their length).
            ControlKind::Text { .. } => vec![],
        };
        for direction in [1, -1] {
            let Ok(mut viz) = Visualizer::build_to_measure(spec) else {
                return tallest;
            };
            viz.select(index as i32);
            for step in &steps {
                viz.adjust(step * direction);
                tallest = tallest.max(measure(&viz));
            }
        }
    }
    tallest
}
