//! Controls declared idle (`Knob::idle_when`) against what they really do, for every kind: a
//! control dimmed as doing nothing must leave the panel's parts as they were when moved, in
//! every mode a learner reaches by moving one choice or toggle. Controls are named by their
//! labels, as the kinds declare them.

use super::ALL;
use crate::viz::registry::build;
use crate::viz::view::{Control, ControlKind, Part};
use crate::viz::Panel;
use serde_json::Map;

/// A setting reached from the defaults: the label of the control moved, and by how many
/// steps.
type State<'a> = Option<(&'a str, i32)>;

fn at(kind: &str, state: State) -> Box<dyn Panel> {
    let mut lab = build(kind, &Map::new())
        .map(|(_, v)| v)
        .unwrap_or_else(|e| panic!("{kind}: {e}"));
    if let Some((label, steps)) = state {
        let index = lab
            .controls()
            .iter()
            .position(|c| c.label == label)
            .unwrap_or_else(|| panic!("{kind}: no control \"{label}\""));
        for _ in 0..steps {
            lab.adjust(index, 1);
        }
    }
    lab
}

/// The modes of a kind: its defaults, and each other option of each choice and toggle.
fn states(controls: &[Control]) -> Vec<State<'_>> {
    let mut out = vec![None];
    for c in controls {
        let more = match &c.kind {
            ControlKind::Choice { options, .. } => options.len().saturating_sub(1),
            ControlKind::Toggle(_) => 1,
            _ => 0,
        };
        out.extend((1..=more).map(|k| Some((c.label.as_str(), i32::try_from(k).unwrap_or(0)))));
    }
    out
}

/// Whether moving control `index` by `delta` in `state` changes the parts.
fn moves(kind: &str, state: State, index: usize, delta: i32) -> bool {
    let mut lab = at(kind, state);
    let before: Vec<Part> = lab.parts();
    lab.adjust(index, delta);
    lab.parts() != before
}

/// (wrongly dimmed, idle but shown live) controls of one kind, as `kind: label in state`;
/// live controls are tried only with `all` (it takes minutes in a debug build).
fn audit(kind: &str, all: bool) -> (Vec<String>, Vec<String>) {
    let (mut wrong, mut idle) = (Vec::new(), Vec::new());
    let first = at(kind, None).controls();
    for state in states(&first) {
        let lab = at(kind, state);
        for (i, c) in lab.controls().iter().enumerate() {
            if matches!(c.kind, ControlKind::Text { .. }) || (c.inactive.is_none() && !all) {
                continue;
            }
            let live = [1, -1].into_iter().any(|d| moves(kind, state, i, d));
            let name = format!("{kind}: \"{}\" in state {state:?}", c.label);
            match (&c.inactive, live) {
                (Some(why), true) => wrong.push(format!("{name} is dimmed ({why}) but acts")),
                (None, false) => idle.push(name),
                _ => {}
            }
        }
    }
    (wrong, idle)
}

/// Regression: a control dimmed as idle must really do nothing in that mode. Moving it in
/// either direction leaves every part of the panel unchanged.
#[test]
fn every_dimmed_control_leaves_the_panel_unchanged() {
    let wrong: Vec<String> = ALL.iter().flat_map(|k| audit(k.name, false).0).collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// The other half of the audit, for reading (`cargo test --lib idle -- --ignored
/// --nocapture`): controls that change nothing in some mode yet are drawn live. Some are
/// fine (a slider at its end, a seed whose samples happen to agree, work that starts on
/// a poll), so this lists rather than asserts.
#[test]
#[ignore = "a listing for review, not a rule"]
fn list_controls_that_do_nothing_but_look_live() {
    for k in ALL {
        for line in audit(k.name, true).1 {
            println!("{line}");
        }
    }
}

/// The idle audit: controls found doing nothing in a mode, now dimmed there. Each entry is
/// a kind, the control moved from the defaults (label, steps) and the label that must then
/// be dimmed; the test above checks each of these really does nothing there.
#[test]
fn the_audited_idle_controls_are_dimmed() {
    let cases: &[(&str, State<'static>, &str)] = &[
        // Stage 0 (X) has no projection: no d_k, no seeded weights; K (2) picks no row;
        // the mask first shows at stage 5.
        ("attention", None, "d_k"),
        ("attention", None, "seed"),
        ("attention", None, "causal mask"),
        ("attention", Some(("stage", 2)), "query token"),
        ("attention", Some(("stage", 4)), "causal mask"),
        // The papers' figures are fixed.
        ("memory-calc", Some(("papers' figures", 1)), "rank"),
        ("memory-calc", Some(("papers' figures", 1)), "model"),
        // Nothing appended by default: the seed draws nothing; greedy draws nothing either.
        ("next-token", None, "seed"),
        ("next-token", Some(("next char", 1)), "seed"),
        ("next-token", Some(("top-k", 1)), "top-p"),
        // t = 8 on 8 GPUs: one copy; p = 16 on 8 GPUs: no plan.
        ("parallelism", Some(("tensor t", 3)), "ZeRO stage"),
        ("parallelism", Some(("pipeline p", 4)), "GB per GPU"),
        (
            "parallelism",
            Some(("pipeline p", 4)),
            "recompute activations",
        ),
    ];
    for (kind, state, label) in cases {
        let lab = at(kind, *state);
        let control = lab.controls().into_iter().find(|c| c.label == *label);
        assert!(
            control.as_ref().is_some_and(|c| c.inactive.is_some()),
            "{kind}: \"{label}\" in {state:?} should be dimmed: {control:?}"
        );
    }
}
