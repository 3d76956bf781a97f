//! The numbers the prose quotes from a panel (its block's `expect` list), found on the panel at
//! the stated settings after its background work has finished.
//!
//! A panel is read once per distinct setting: entries whose settings come out the same (the
//! plain strings of one block, or two blocks of one kind with the same parameters) are one
//! [`Reading`], so a panel that trains a model trains once for all of them. Each entry is still
//! judged on its own, with the same message at its own line as if it had been read alone.

use crate::course::{Expectation, Lesson, Panel, Problem, VizSpec};
use crate::viz::lab::{Lab, Shared};
use crate::viz::Visualizer;
use ratatui::layout::Rect;

/// The width panels are drawn at to look for quoted texts: wide enough that nothing is cut.
const EXPECT_WIDTH: u16 = 160;

/// One panel to read: a block's kind at one set of settings, and the `expect` entries (as
/// (step, entry) indices into the lesson) that quote it there.
#[derive(Debug)]
pub struct Reading {
    pub variant: VizSpec,
    pub entries: Vec<(usize, usize)>,
}

impl Reading {
    /// The panel's kind and the settings its entries add to the block's, for `--times`.
    pub fn describe(&self) -> String {
        format!("{} (line {})", self.variant.kind, self.variant.line)
    }
}

/// The block's settings with an entry's `with` on top, as the panel to build (no quotes).
fn variant(spec: &VizSpec, expectation: &Expectation) -> VizSpec {
    let mut params = spec.params.clone();
    for (key, value) in &expectation.with {
        params.insert(key.clone(), value.clone());
    }
    VizSpec {
        params,
        expect: Vec::new(),
        ..spec.clone()
    }
}

/// What makes two variants the same panel: the kind and its parameters, in name order.
fn same_panel(spec: &VizSpec) -> (String, String) {
    let sorted: std::collections::BTreeMap<&String, &serde_json::Value> =
        spec.params.iter().collect();
    (
        spec.kind.clone(),
        serde_json::to_string(&sorted).unwrap_or_default(),
    )
}

/// Every panel `lesson`'s quotes need, each distinct setting once, in the order of its first
/// entry.
pub fn readings(lesson: &Lesson) -> Vec<Reading> {
    let mut out: Vec<Reading> = Vec::new();
    let mut index: std::collections::BTreeMap<(String, String), usize> = Default::default();
    for (step, s) in lesson.steps.iter().enumerate() {
        let Some(Panel::Viz(spec)) = &s.panel else {
            continue;
        };
        for (entry, expectation) in spec.expect.iter().enumerate() {
            let variant = variant(spec, expectation);
            match index.entry(same_panel(&variant)) {
                std::collections::btree_map::Entry::Occupied(at) => {
                    out[*at.get()].entries.push((step, entry));
                }
                std::collections::btree_map::Entry::Vacant(slot) => {
                    slot.insert(out.len());
                    out.push(Reading {
                        variant,
                        entries: vec![(step, entry)],
                    });
                }
            }
        }
    }
    out
}

/// Reads `reading`'s panel once and judges each of its entries: ((step, entry), problems)
/// for each, in the reading's order.
/// Work its panel shares with other panels of this check goes through `shared`.
pub fn check_reading(
    lesson: &Lesson,
    reading: &Reading,
    shared: &Shared,
) -> Vec<((usize, usize), Vec<Problem>)> {
    let shown = panel_text(&reading.variant, shared);
    reading
        .entries
        .iter()
        .map(|&(step, entry)| {
            let problems = match &lesson.steps[step].panel {
                Some(Panel::Viz(spec)) => judge(&lesson.file, spec, &spec.expect[entry], &shown),
                _ => Vec::new(),
            };
            ((step, entry), problems)
        })
        .collect()
}

/// Checks that every text the prose quotes from a panel (its block's `expect` list) is on the
/// panel at the stated settings, after any background work has finished; each distinct
/// setting is read once.
pub fn check_expectations(file: &str, spec: &VizSpec) -> Vec<Problem> {
    let mut read: Vec<((String, String), Result<String, String>)> = Vec::new();
    let shared = Shared::new();
    let mut problems = Vec::new();
    for expectation in &spec.expect {
        let variant = variant(spec, expectation);
        let key = same_panel(&variant);
        let at = match read.iter().position(|(k, _)| *k == key) {
            Some(at) => at,
            None => {
                read.push((key, panel_text(&variant, &shared)));
                read.len() - 1
            }
        };
        problems.extend(judge(file, spec, expectation, &read[at].1));
    }
    problems
}

/// One entry of a block's `expect` list: its texts on the panel at the block's settings with
/// the entry's `with` on top.
pub fn check_expectation(file: &str, spec: &VizSpec, expectation: &Expectation) -> Vec<Problem> {
    judge(
        file,
        spec,
        expectation,
        &panel_text(&variant(spec, expectation), &Shared::new()),
    )
}

/// An entry's problems given what its panel showed (or why it could not be built): each of its
/// texts that is not there, at the entry's line.
fn judge(
    file: &str,
    spec: &VizSpec,
    expectation: &Expectation,
    shown: &Result<String, String>,
) -> Vec<Problem> {
    let shown = match shown {
        Ok(text) => text,
        Err(e) => return vec![Problem::new(file, expectation.line, e)],
    };
    let mut problems = Vec::new();
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
                    excerpt(shown)
                ),
            ));
        }
    }
    problems
}

/// How long a panel's background work may take before the check gives up on it.
const SETTLE_LIMIT: std::time::Duration = std::time::Duration::from_secs(600);

/// Everything a panel shows, as one line with runs of spaces squeezed to one. The panel has a
/// fresh lab of its own, as a learner opening it first would; only deterministic work is
/// shared with the check's other panels ([`Shared`]).
fn panel_text(spec: &VizSpec, shared: &Shared) -> Result<String, String> {
    let mut viz = Visualizer::build_in(spec, &Lab::sharing(shared))?;
    // Background work (training a tokenizer, timing) must finish before the panel is read;
    // quotes never depend on timings, so only its completion matters. The bound only keeps a
    // run that never ends from hanging the check: a busy machine slows the training runs
    // several times over (at a load of 12 on 2 cores one took over two minutes), and a run
    // cut short would be read as a wrong quote.
    let deadline = std::time::Instant::now() + SETTLE_LIMIT;
    while viz.busy() && std::time::Instant::now() < deadline {
        if !viz.poll() {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
    if viz.busy() {
        return Err(format!(
            "the panel's background work had not finished after {} s, so its quotes could not \
             be read: check again on a less busy machine",
            SETTLE_LIMIT.as_secs()
        ));
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
