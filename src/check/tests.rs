use super::*;
use crate::app::{PanelState, QuizState};

#[test]
fn near_identical_means_nearly_the_same_words() {
    // The two overtraining questions lessons 17 and 19 both asked, in different words:
    // a repeat the word test cannot see (5 of 26 words shared), so it was fixed by hand.
    let a = "Llama 3 8B trained on over 15T tokens, far past 20 per parameter. Why would a lab do that?";
    let b = "Why train a smaller model on far more tokens than compute-optimal?";
    assert!(!near_identical(a, b));
    assert!(near_identical(
        "Why train a smaller model on far more tokens than compute-optimal?",
        "Why train a smaller model on far more tokens than compute optimal, then?"
    ));
    assert!(near_identical("What is 2 + 2?", "what is 2+2"));
    assert!(!near_identical("What is 2 + 2?", "What is 2 + 3?"));
    assert!(!near_identical("", ""));
}

#[test]
fn try_leads_are_the_ones_that_send_the_learner_to_a_panel() {
    assert!(is_try_lead("Try this:"));
    assert!(is_try_lead("The panel opens on GPT-2. Things to try:"));
    assert!(is_try_lead("Then experiment:"));
    assert!(!is_try_lead("Read it term by term:"));
    // Only the last sentence counts: an earlier "try" is part of the explanation.
    assert!(!is_try_lead(
        "Try it by hand first. A checkpoint must hold:"
    ));
    assert!(!is_try_lead("Entry points:"));
}

#[test]
fn the_longest_choice_counts_ties_and_characters() {
    let c = |xs: &[&str]| xs.iter().map(|x| (*x).to_string()).collect::<Vec<_>>();
    assert!(keys_longest(&c(&["a", "bbb", "cc"]), 1));
    assert!(!keys_longest(&c(&["a", "bbb", "cc"]), 2));
    // A tie still gives the answer to a learner who picks the longest.
    assert!(keys_longest(&c(&["aa", "bb"]), 0));
    // Characters, not bytes: "√√" is two characters, shorter than "abc".
    assert!(!keys_longest(&c(&["√√", "abc"]), 0));
    assert!(!keys_longest(&c(&["a"]), 3));
}

#[test]
fn the_lesson_format_states_the_code_widths_check_enforces() {
    let course = crate::course::load(&crate::course::embedded::Embedded)
        .0
        .expect("course");
    let quiz = course
        .lessons
        .iter()
        .flat_map(|l| &l.steps)
        .find_map(|s| match &s.panel {
            Some(Panel::Quiz(q)) => Some(q.clone()),
            _ => None,
        })
        .expect("a question in the course");
    let with_panel = PanelState::Quiz(QuizState {
        quiz,
        selected: 0,
        input: String::new(),
        feedback: None,
        misses: 0,
        tries: 0,
    });
    let code = |panel: &PanelState| narrowest_prose(panel).saturating_sub(2);
    let sentence = format!(
        "keep their lines to {} characters ({} on a step without a panel)",
        code(&with_panel),
        code(&PanelState::None)
    );
    let doc = include_str!("../../lessons/README.md").replace('\n', " ");
    let doc = doc.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        doc.contains(&sentence),
        "lessons/README.md must say \"{sentence}\" (the widths `llmf check` enforces)"
    );
}
