//! A checkpoint question being answered: which choice is highlighted, what has been typed, and
//! what the last answer earned. The keys a question understands are handled here; the app
//! only records an answer in the learner's progress.

use crate::action::Action;
use crate::course::{Answer, Quiz, QuizKind};

/// Longest numeric answer one can type: long enough for `6.02214076e23`, short enough to fit.
const MAX_INPUT: usize = 24;

#[derive(Debug, Clone, PartialEq)]
pub struct QuizState {
    pub quiz: Quiz,
    /// The highlighted choice.
    pub selected: usize,
    /// What the learner has typed for a numeric answer.
    pub input: String,
    pub feedback: Option<Feedback>,
    /// Wrong attempts on this visit; the explanation shows after a right answer or two misses.
    pub misses: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Feedback {
    Correct,
    Wrong,
    /// The typed text is not a number.
    NotANumber,
}

/// What a key did to the question.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuizInput {
    /// Not a key for the question: the caller may use it (← and → move between steps).
    Ignored,
    /// Nothing visible changed (a choice number out of range, Up on the first choice).
    Unchanged,
    /// The highlight, the typed text or the feedback changed.
    Changed,
    /// An answer was given; the caller records it.
    Answered { correct: bool },
}

impl QuizState {
    /// A fresh visit: nothing typed, the first choice highlighted.
    pub fn new(quiz: Quiz) -> Self {
        Self {
            quiz,
            selected: 0,
            input: String::new(),
            feedback: None,
            misses: 0,
        }
    }

    pub fn show_explanation(&self) -> bool {
        self.feedback == Some(Feedback::Correct) || self.misses >= 2
    }

    fn choices(&self) -> Option<usize> {
        match &self.quiz.kind {
            QuizKind::Choice { choices, .. } => Some(choices.len()),
            QuizKind::Numeric { .. } => None,
        }
    }

    /// Applies a key to the question.
    pub fn handle(&mut self, action: Action) -> QuizInput {
        let changed = |c: bool| {
            if c {
                QuizInput::Changed
            } else {
                QuizInput::Unchanged
            }
        };
        match (action, self.choices()) {
            (Action::Up, Some(_)) => {
                let old = self.selected;
                self.selected = self.selected.saturating_sub(1);
                changed(old != self.selected)
            }
            (Action::Down, Some(n)) => {
                let old = self.selected;
                self.selected = (self.selected + 1).min(n.saturating_sub(1));
                changed(old != self.selected)
            }
            (Action::Char(c), Some(n)) => match c.to_digit(10) {
                Some(d) if d >= 1 && (d as usize) <= n => {
                    let old = self.selected;
                    self.selected = d as usize - 1;
                    changed(old != self.selected)
                }
                _ => QuizInput::Unchanged,
            },
            (Action::Char(c), None) => {
                if self.input.chars().count() >= MAX_INPUT {
                    return QuizInput::Unchanged;
                }
                self.input.push(c);
                self.feedback = None;
                QuizInput::Changed
            }
            (Action::Backspace, None) => changed(self.input.pop().is_some()),
            (Action::Enter, _) => self.answer(),
            (Action::Left | Action::Right, _) => QuizInput::Ignored,
            _ => QuizInput::Unchanged,
        }
    }

    fn answer(&mut self) -> QuizInput {
        let answer = match self.choices() {
            Some(_) => Some(Answer::Choice(self.selected)),
            None => match self.input.trim().replace(',', "").parse::<f64>() {
                Ok(x) if x.is_finite() => Some(Answer::Number(x)),
                _ => None,
            },
        };
        let Some(answer) = answer else {
            self.feedback = Some(Feedback::NotANumber);
            return QuizInput::Changed;
        };
        let correct = self.quiz.is_correct(&answer);
        self.feedback = Some(if correct {
            Feedback::Correct
        } else {
            Feedback::Wrong
        });
        if !correct {
            self.misses += 1;
        }
        QuizInput::Answered { correct }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice() -> QuizState {
        QuizState::new(Quiz {
            id: "q".into(),
            question: "Which?".into(),
            kind: QuizKind::Choice {
                choices: vec!["a".into(), "b".into(), "c".into()],
                answer: 1,
            },
            explain: "b.".into(),
            line: 1,
        })
    }

    fn numeric() -> QuizState {
        QuizState::new(Quiz {
            id: "n".into(),
            question: "How many?".into(),
            kind: QuizKind::Numeric {
                answer: 7.0,
                tolerance: 0.5,
            },
            explain: "7.".into(),
            line: 1,
        })
    }

    #[test]
    fn choices_move_within_range_and_by_number() {
        let mut q = choice();
        assert_eq!(q.handle(Action::Up), QuizInput::Unchanged, "already first");
        assert_eq!(q.handle(Action::Down), QuizInput::Changed);
        assert_eq!(q.handle(Action::Down), QuizInput::Changed);
        assert_eq!(q.handle(Action::Down), QuizInput::Unchanged, "already last");
        assert_eq!(q.selected, 2);
        assert_eq!(q.handle(Action::Char('1')), QuizInput::Changed);
        assert_eq!(q.selected, 0);
        assert_eq!(q.handle(Action::Char('4')), QuizInput::Unchanged, "no 4th");
        assert_eq!(q.handle(Action::Char('0')), QuizInput::Unchanged);
        assert_eq!(
            q.handle(Action::Left),
            QuizInput::Ignored,
            "steps are the app's"
        );
    }

    #[test]
    fn two_misses_or_a_hit_show_the_explanation() {
        let mut q = choice();
        assert_eq!(
            q.handle(Action::Enter),
            QuizInput::Answered { correct: false }
        );
        assert_eq!(q.feedback, Some(Feedback::Wrong));
        assert!(!q.show_explanation());
        q.handle(Action::Char('3'));
        assert_eq!(
            q.handle(Action::Enter),
            QuizInput::Answered { correct: false }
        );
        assert!(q.show_explanation(), "two misses");
        let mut q = choice();
        q.handle(Action::Char('2'));
        assert_eq!(
            q.handle(Action::Enter),
            QuizInput::Answered { correct: true }
        );
        assert_eq!((q.misses, q.show_explanation()), (0, true));
    }

    #[test]
    fn numbers_are_typed_checked_within_tolerance_and_not_numbers_said_so() {
        let mut q = numeric();
        assert_eq!(q.handle(Action::Up), QuizInput::Unchanged);
        for c in "7.4".chars() {
            assert_eq!(q.handle(Action::Char(c)), QuizInput::Changed);
        }
        // |7.4 - 7| = 0.4 <= 0.5.
        assert_eq!(
            q.handle(Action::Enter),
            QuizInput::Answered { correct: true }
        );
        q.handle(Action::Backspace);
        q.handle(Action::Backspace);
        assert_eq!(q.input, "7");
        q.handle(Action::Char('e'));
        assert_eq!(q.handle(Action::Enter), QuizInput::Changed);
        assert_eq!(q.feedback, Some(Feedback::NotANumber));
        // Commas are thousands separators: 1,000 is a thousand, far from 7.
        q.input = "1,000".into();
        assert_eq!(
            q.handle(Action::Enter),
            QuizInput::Answered { correct: false }
        );
        // Typing stops at the field's length; deleting past empty changes nothing.
        q.input = "1".repeat(MAX_INPUT);
        assert_eq!(q.handle(Action::Char('1')), QuizInput::Unchanged);
        q.input.clear();
        assert_eq!(q.handle(Action::Backspace), QuizInput::Unchanged);
    }
}
