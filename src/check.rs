//! `llmf check`: validates a whole course the way a learner would meet it — every file parses,
//! every visualizer builds from its parameters, every question has a valid answer and fits
//! on an 80x24 screen, and no code line is wider than the narrowest prose column.

use crate::app::layout;
use crate::app::{Feedback, PanelState, QuizState};
use crate::course::{prose, Course, Panel, Problem};
use crate::viz::view::ControlKind;
use crate::viz::Visualizer;
use ratatui::layout::Rect;

/// The screen every lesson must work on.
pub const SMALL: (u16, u16) = (80, 24);
/// The narrowest side-by-side screen: prose is narrowest here.
pub const NARROW_SIDE: (u16, u16) = (layout::SIDE_BY_SIDE_MIN, 40);

/// Loads a course and checks its layout (no quotes: those train models, and `llmf check` runs
/// them with [`check_lessons`]): the course, or every problem found.
pub fn load_checked(source: &dyn crate::course::Source) -> Result<Course, Vec<Problem>> {
    let (course, mut problems) = crate::course::load_all(source);
    if let Some(c) = &course {
        problems.extend(check_course(c));
    }
    match course {
        Some(c) if problems.is_empty() && !c.lessons.is_empty() => Ok(c),
        _ => Err(problems),
    }
}

/// What start-up with `--lessons DIR` needs: the course parses and every visualizer's
/// parameters are valid ([`check_specs`]), without computing a single view. The layout checks
/// of [`load_checked`] build and measure every panel (slow); `llmf check` runs them.
pub fn load_for_start(source: &dyn crate::course::Source) -> Result<Course, Vec<Problem>> {
    let (course, mut problems) = crate::course::load_all(source);
    if let Some(c) = &course {
        problems.extend(check_specs(c));
    }
    match course {
        Some(c) if problems.is_empty() && !c.lessons.is_empty() => Ok(c),
        _ => Err(problems),
    }
}

/// Every visualizer spec of the course against its kind's parameters (names, types,
/// ranges), each panel's settings built but no view computed.
pub fn check_specs(course: &Course) -> Vec<Problem> {
    let mut problems = Vec::new();
    for lesson in &course.lessons {
        for step in &lesson.steps {
            if let Some(Panel::Viz(spec)) = &step.panel {
                if let Err(e) = crate::viz::registry::build(&spec.kind, &spec.params) {
                    problems.push(Problem::new(&lesson.file, spec.line_for(&e), e));
                }
            }
        }
    }
    problems
}

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

/// All problems in a loaded course (parse problems come from `course::load`): the checks
/// across lessons, then each lesson's layout checks ([`check_lesson`]).
pub fn check_course(course: &Course) -> Vec<Problem> {
    let mut problems = check_across_lessons(course);
    for lesson in &course.lessons {
        problems.extend(check_lesson(lesson, false));
    }
    problems
}

/// The checks that compare lessons with each other (repeated questions) or look at the whole
/// course at once; cheap, so a one-lesson check runs them too.
pub fn check_across_lessons(course: &Course) -> Vec<Problem> {
    let mut problems = duplicate_questions(course);
    problems.extend(instructions_without_panel(course));
    problems
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

/// One lesson checked by [`check_lessons`]: its problems and the time its checks took (summed
/// over its parts, which may run on several threads).
#[derive(Debug)]
pub struct LessonChecked<'a> {
    pub lesson: &'a crate::course::Lesson,
    pub problems: usize,
    pub took: std::time::Duration,
}

/// A piece of [`check_lessons`]' work: a lesson's layout checks, or one `expect` entry of one of
/// its panels (which may train a model, so each is its own piece).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Piece {
    Quote {
        lesson: usize,
        step: usize,
        entry: usize,
    },
    Layout {
        lesson: usize,
    },
}

impl Piece {
    fn lesson(self) -> usize {
        match self {
            Piece::Quote { lesson, .. } | Piece::Layout { lesson } => lesson,
        }
    }

    /// Where its problems go in the report: a lesson's layout problems before its quotes'.
    fn report_order(self) -> (usize, usize, usize, usize) {
        match self {
            Piece::Layout { lesson } => (lesson, 0, 0, 0),
            Piece::Quote {
                lesson,
                step,
                entry,
            } => (lesson, 1, step, entry),
        }
    }
}

/// Checks the `chosen` lessons of `course` (all when empty) on `workers` threads, calling
/// `done` as each lesson finishes (for a progress line), and returns the problems of the
/// checks across lessons, then each lesson's in course order. The slow parts are the quotes
/// of panels that train a model (each on one core), so every `expect` entry is a piece of work
/// of its own and those go first: two workers on two cores take about half the time of one.
pub fn check_lessons<'a>(
    course: &'a Course,
    chosen: &[usize],
    quotes: bool,
    workers: usize,
    done: &(dyn Fn(&LessonChecked<'a>) + Sync),
) -> Vec<Problem> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Mutex, PoisonError};
    let lessons: Vec<usize> = if chosen.is_empty() {
        (0..course.lessons.len()).collect()
    } else {
        chosen.to_vec()
    };
    let mut pieces = Vec::new();
    for &lesson in &lessons {
        if !quotes {
            continue;
        }
        for (step, s) in course.lessons[lesson].steps.iter().enumerate() {
            if let Some(Panel::Viz(spec)) = &s.panel {
                pieces.extend((0..spec.expect.len()).map(|entry| Piece::Quote {
                    lesson,
                    step,
                    entry,
                }));
            }
        }
    }
    pieces.extend(lessons.iter().map(|&lesson| Piece::Layout { lesson }));
    // Per lesson: pieces left, problems found, time taken.
    let tally: Vec<Mutex<(usize, usize, std::time::Duration)>> = (0..course.lessons.len())
        .map(|_| Mutex::new((0, 0, std::time::Duration::ZERO)))
        .collect();
    for piece in &pieces {
        tally[piece.lesson()]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .0 += 1;
    }
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers.clamp(1, pieces.len().max(1)) {
            scope.spawn(|| {
                while let Some(&piece) = pieces.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let started = std::time::Instant::now();
                    let lesson = &course.lessons[piece.lesson()];
                    let problems = match piece {
                        Piece::Layout { .. } => check_lesson(lesson, false),
                        Piece::Quote { step, entry, .. } => match &lesson.steps[step].panel {
                            Some(Panel::Viz(spec)) => {
                                check_expectation(&lesson.file, spec, &spec.expect[entry])
                            }
                            _ => Vec::new(),
                        },
                    };
                    let mut t = tally[piece.lesson()]
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner);
                    t.0 -= 1;
                    t.1 += problems.len();
                    t.2 += started.elapsed();
                    let finished = (t.0 == 0).then(|| LessonChecked {
                        lesson,
                        problems: t.1,
                        took: t.2,
                    });
                    drop(t);
                    if let Some(checked) = finished {
                        done(&checked);
                    }
                    results
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push((piece.report_order(), problems));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_else(PoisonError::into_inner);
    results.sort_by_key(|(order, _)| *order);
    let mut problems = check_across_lessons(course);
    problems.extend(results.into_iter().flat_map(|(_, p)| p));
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

/// Per-lesson counts for `llmf check --stats`.
pub struct LessonStats {
    pub name: String,
    pub steps: usize,
    pub words: usize,
    pub visualizers: usize,
    pub questions: usize,
    /// Multiple-choice questions, and how many of them key their longest choice.
    pub choice_questions: usize,
    pub keyed_longest: usize,
}

impl LessonStats {
    /// What the lesson lacks against the course bar, or "ok".
    pub fn verdict(&self) -> String {
        let mut missing = Vec::new();
        if !(6..=12).contains(&self.steps) {
            missing.push("6-12 steps");
        }
        if !(1500..=3000).contains(&self.words) {
            missing.push("1,500-3,000 words");
        }
        if self.visualizers < 2 {
            missing.push(">=2 visualizers");
        }
        if self.questions < 3 {
            missing.push(">=3 questions");
        }
        if missing.is_empty() {
            "ok".into()
        } else {
            format!("needs {}", missing.join(", "))
        }
    }
}

pub fn stats(course: &Course) -> Vec<LessonStats> {
    course
        .lessons
        .iter()
        .map(|l| LessonStats {
            name: format!("{} {}", l.number, l.slug),
            steps: l.steps.len(),
            words: l
                .steps
                .iter()
                .map(|s| prose::word_count(&s.prose) + s.title.split_whitespace().count())
                .sum(),
            visualizers: l
                .steps
                .iter()
                .filter(|s| matches!(s.panel, Some(Panel::Viz(_))))
                .count(),
            questions: l
                .steps
                .iter()
                .filter(|s| matches!(s.panel, Some(Panel::Quiz(_))))
                .count(),
            choice_questions: choice_questions(l).count(),
            keyed_longest: choice_questions(l)
                .filter(|(choices, answer)| keys_longest(choices, *answer))
                .count(),
        })
        .collect()
}

/// The lesson's multiple-choice questions as (choices, 0-based answer).
fn choice_questions(lesson: &crate::course::Lesson) -> impl Iterator<Item = (&[String], usize)> {
    lesson.steps.iter().filter_map(|s| match &s.panel {
        Some(Panel::Quiz(q)) => match &q.kind {
            crate::course::QuizKind::Choice { choices, answer } => {
                Some((choices.as_slice(), *answer))
            }
            crate::course::QuizKind::Numeric { .. } => None,
        },
        _ => None,
    })
}

/// Whether the keyed choice is the longest (in characters), ties included: a learner who
/// always picks the longest choice gets it right.
pub fn keys_longest(choices: &[String], answer: usize) -> bool {
    let len = |c: &String| c.chars().count();
    match choices.get(answer) {
        Some(keyed) => choices.iter().all(|c| len(c) <= len(keyed)),
        None => false,
    }
}

/// Most of the course's multiple-choice questions may key their longest choice before `llmf
/// check` warns: length must not give the answer away.
pub const MAX_KEYED_LONGEST_SHARE: f64 = 0.30;

/// (questions keying their longest choice, multiple-choice questions) over the whole course.
pub fn keyed_longest(course: &Course) -> (usize, usize) {
    stats(course).iter().fold((0, 0), |(k, n), s| {
        (k + s.keyed_longest, n + s.choice_questions)
    })
}

/// The `--stats` table: one row per lesson (the `longest` column counts the multiple-choice
/// questions whose keyed choice is the longest, of all its multiple-choice questions), then
/// one `course:` line with that share over the whole course.
pub fn stats_table(course: &Course) -> String {
    let mut out = format!(
        "{:<28} {:>5} {:>6} {:>4} {:>9} {:>7}  bar\n",
        "lesson", "steps", "words", "viz", "questions", "longest"
    );
    for s in stats(course) {
        out.push_str(&format!(
            "{:<28} {:>5} {:>6} {:>4} {:>9} {:>7}  {}\n",
            s.name,
            s.steps,
            s.words,
            s.visualizers,
            s.questions,
            format!("{}/{}", s.keyed_longest, s.choice_questions),
            s.verdict()
        ));
    }
    let (keyed, total) = keyed_longest(course);
    out.push_str(&format!(
        "course: the keyed choice is the longest in {keyed} of {total} multiple-choice questions ({:.0}%; keep it at most {:.0}%)\n",
        share(keyed, total) * 100.0,
        MAX_KEYED_LONGEST_SHARE * 100.0
    ));
    out
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Two questions in different lessons that a learner would meet as one: the same id, or
/// question texts so alike that one repeats the other ([`near_identical`]). Each is reported
/// at the later question, naming the earlier.
pub fn duplicate_questions(course: &Course) -> Vec<Problem> {
    let mut seen: Vec<(&str, &crate::course::Quiz)> = Vec::new();
    let mut problems = Vec::new();
    for lesson in &course.lessons {
        let quizzes = lesson.steps.iter().filter_map(|s| match &s.panel {
            Some(Panel::Quiz(q)) => Some(q),
            _ => None,
        });
        for q in quizzes {
            for (file, earlier) in &seen {
                // Within a lesson the parser already refuses a second id, and a lesson may
                // well ask two variations on purpose; across lessons a repeat is an accident.
                if *file == lesson.file.as_str() {
                    continue;
                }
                let why = if earlier.id == q.id {
                    Some(format!("has the id \"{}\" of the question", q.id))
                } else if near_identical(&earlier.question, &q.question) {
                    Some("asks nearly the same as the question".to_string())
                } else {
                    None
                };
                if let Some(why) = why {
                    problems.push(Problem::new(
                        &lesson.file,
                        q.line,
                        format!(
                            "question \"{}\" {why} \"{}\" at {file}:{}: ask something new, or give it its own id",
                            q.id, earlier.id, earlier.line
                        ),
                    ));
                }
            }
            seen.push((lesson.file.as_str(), q));
        }
    }
    problems
}

/// Share of shared words above which two questions count as the same question.
pub const NEAR_IDENTICAL: f64 = 0.8;

/// Whether two question texts are near-identical: the Jaccard similarity of their sets of
/// lower-cased words (runs of letters and digits) is at least [`NEAR_IDENTICAL`]. Rewording
/// a few words of a question does not make it a new one; the same topic asked from another
/// side does.
pub fn near_identical(a: &str, b: &str) -> bool {
    let words = |t: &str| -> std::collections::BTreeSet<String> {
        t.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let (a, b) = (words(a), words(b));
    let union = a.union(&b).count();
    union > 0 && a.intersection(&b).count() as f64 / union as f64 >= NEAR_IDENTICAL
}

/// A "Try this" list (the step's instructions, [`crate::course::instructions`], whose lead-in
/// sends the learner to try or experiment) on a step with no visualizer: the learner is told
/// to use controls that are not there.
pub fn instructions_without_panel(course: &Course) -> Vec<Problem> {
    let mut problems = Vec::new();
    for lesson in &course.lessons {
        for step in &lesson.steps {
            if matches!(step.panel, Some(Panel::Viz(_))) {
                continue;
            }
            let Some(blocks) = crate::course::instructions::instructions(&step.prose) else {
                continue;
            };
            let Some(crate::course::prose::Block::Paragraph(lead)) = blocks.first() else {
                continue;
            };
            if is_try_lead(lead) {
                problems.push(Problem::new(
                    &lesson.file,
                    step.line,
                    format!(
                        "step \"{}\" has a \"{}\" list but no visualizer to try it on: move the list to the step with the panel, or put the panel here",
                        step.title,
                        lead.trim()
                    ),
                ));
            }
        }
    }
    problems
}

/// Whether a list's lead-in paragraph asks the learner to do something with a panel: its last
/// sentence has the word "try" or "experiment" ("Try this:", "Things to try:", "Then
/// experiment:").
pub fn is_try_lead(lead: &str) -> bool {
    let last = lead
        .rsplit(['.', '!', '?'])
        .find(|s| !s.trim().is_empty())
        .unwrap_or(lead);
    last.split(|c: char| !c.is_alphanumeric())
        .any(|w| w.eq_ignore_ascii_case("try") || w.eq_ignore_ascii_case("experiment"))
}

/// The width panels are drawn at to look for quoted texts: wide enough that nothing is cut.
const EXPECT_WIDTH: u16 = 160;

/// Checks that every text the prose quotes from a panel (its block's `expect` list) is on the
/// panel at the stated settings, after any background work has finished.
pub fn check_expectations(file: &str, spec: &crate::course::VizSpec) -> Vec<Problem> {
    spec.expect
        .iter()
        .flat_map(|expectation| check_expectation(file, spec, expectation))
        .collect()
}

/// One entry of a block's `expect` list: its texts on the panel at the block's settings with
/// the entry's `with` on top.
pub fn check_expectation(
    file: &str,
    spec: &crate::course::VizSpec,
    expectation: &crate::course::Expectation,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut params = spec.params.clone();
    for (key, value) in &expectation.with {
        params.insert(key.clone(), value.clone());
    }
    let variant = crate::course::VizSpec {
        params,
        expect: Vec::new(),
        ..spec.clone()
    };
    let shown = match panel_text(&variant) {
        Ok(text) => text,
        Err(e) => return vec![Problem::new(file, expectation.line, e)],
    };
    for quote in &expectation.shows {
        if !shown.contains(&squeeze(quote)) {
            let settings = if expectation.with.is_empty() {
                "at the block's settings".to_string()
            } else {
                format!(
                    "with {}",
                    serde_json::Value::Object(expectation.with.clone())
                )
            };
            problems.push(Problem::new(
                file,
                expectation.line,
                format!(
                    "the \"{}\" panel does not show \"{quote}\" {settings}: it now shows {}; update the prose and its expect list together",
                    spec.kind,
                    excerpt(&shown)
                ),
            ));
        }
    }
    problems
}

/// Everything a panel shows, as one line with runs of spaces squeezed to one.
fn panel_text(spec: &crate::course::VizSpec) -> Result<String, String> {
    let mut viz = Visualizer::build(spec)?;
    // Background work (training a tokenizer, timing) must finish before the panel is read;
    // quotes never depend on timings, so only its completion matters.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while viz.busy() && std::time::Instant::now() < deadline {
        if !viz.poll() {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
    let height = crate::ui::widgets::view_height(viz.view(), EXPECT_WIDTH).clamp(1, 400);
    let area = Rect::new(0, 0, EXPECT_WIDTH, height);
    let mut buf = ratatui::buffer::Buffer::empty(area);
    let theme = crate::ui::theme::Theme::new(false, false);
    crate::ui::widgets::render_view(viz.view(), area, &mut buf, &theme, true);
    Ok(squeeze(&crate::ui::buffer_text(&buf)))
}

/// Collapses every run of whitespace to one space, so quotes need not match alignment.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The start of a panel's text, for messages.
fn excerpt(text: &str) -> String {
    let cut: String = text.chars().take(160).collect();
    if cut.len() < text.len() {
        format!("\"{cut}…\"")
    } else {
        format!("\"{cut}\"")
    }
}

/// Share of multiple-choice answers one position may hold across the course before `llmf
/// check` warns: a learner guessing "the first one" must not do well.
pub const MAX_POSITION_SHARE: f64 = 0.35;

/// Things worth a teacher's look that do not stop the course: a lesson whose choice
/// questions all have their answer in one position, and a course where one position holds
/// more than [`MAX_POSITION_SHARE`] of the answers (checked from 8 questions up).
pub fn warnings(course: &Course) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut counts: std::collections::BTreeMap<usize, usize> = Default::default();
    let mut total = 0;
    for lesson in &course.lessons {
        let answers: Vec<(usize, usize)> = lesson
            .steps
            .iter()
            .filter_map(|s| match &s.panel {
                Some(Panel::Quiz(q)) => match q.kind {
                    crate::course::QuizKind::Choice { answer, .. } => Some((answer, q.line)),
                    crate::course::QuizKind::Numeric { .. } => None,
                },
                _ => None,
            })
            .collect();
        for (a, _) in &answers {
            *counts.entry(*a).or_default() += 1;
            total += 1;
        }
        if let [(first, line), rest @ ..] = answers.as_slice() {
            if !rest.is_empty() && rest.iter().all(|(a, _)| a == first) {
                out.push(Problem::new(
                    &lesson.file,
                    *line,
                    format!(
                        "warning: all {} choice questions are answered by choice {}: move some answers so position is no clue",
                        answers.len(),
                        first + 1
                    ),
                ));
            }
        }
    }
    let (keyed, choice_total) = keyed_longest(course);
    if choice_total >= 8 && share(keyed, choice_total) > MAX_KEYED_LONGEST_SHARE {
        out.push(Problem::new(
            "course.json",
            1,
            format!(
                "warning: in {keyed} of {choice_total} choice questions ({:.0}%) the right answer is the longest choice; keep it at most {:.0}% by lengthening wrong choices or shortening right ones",
                share(keyed, choice_total) * 100.0,
                MAX_KEYED_LONGEST_SHARE * 100.0
            ),
        ));
    }
    if total >= 8 {
        for (pos, n) in counts {
            let share = n as f64 / total as f64;
            if share > MAX_POSITION_SHARE {
                out.push(Problem::new(
                    "course.json",
                    1,
                    format!(
                        "warning: {n} of {total} choice answers ({:.0}%) are choice {}; keep each position at most {:.0}%",
                        share * 100.0,
                        pos + 1,
                        MAX_POSITION_SHARE * 100.0
                    ),
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
