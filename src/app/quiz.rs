//! A checkpoint question being answered: which choice is highlighted, what has been typed, and
//! what the last answer earned. The keys a question understands are handled here; the app
//! only records an answer in the learner's progress.

use crate::app::action::Action;
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
    /// Answers given on this visit, so the panel speaks of earlier visits only ("tried
    /// before" must not appear right after the first try).
    pub tries: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Feedback {
    Correct,
    Wrong,
    /// The typed text is not a number.
    NotANumber,
    /// A typed character that cannot be part of a number (refused, not typed).
    Refused(char),
    /// A pasted text holding something that cannot be part of a number: none of it was
    /// typed, so no stray letter of it stays behind in the box.
    PasteRefused,
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

/// Whether `c` can be part of a typed number: digits, a decimal point or comma, a fraction's
/// `/`, a sign, an exponent's `e`, and spaces between groups of digits.
fn may_be_in_a_number(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '.' | ',' | '/' | '-' | '+' | 'e' | 'E' | ' ')
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
            tries: 0,
        }
    }

    /// Whether the answer is a typed number (not a choice).
    pub fn is_numeric(&self) -> bool {
        matches!(self.quiz.kind, QuizKind::Numeric { .. })
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
                if !may_be_in_a_number(c) {
                    self.feedback = Some(Feedback::Refused(c));
                    return QuizInput::Changed;
                }
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

    /// A pasted text for a numeric answer: typed whole when every character can be part of a
    /// number (as much as the box holds), refused whole otherwise. Typing it character by
    /// character would keep the few letters of a sentence that numbers use ("e").
    pub fn paste(&mut self, text: &str) -> QuizInput {
        if !self.is_numeric() {
            return QuizInput::Ignored;
        }
        let text = text.trim();
        if text.is_empty() {
            return QuizInput::Unchanged;
        }
        if !text.chars().all(may_be_in_a_number) {
            self.feedback = Some(Feedback::PasteRefused);
            return QuizInput::Changed;
        }
        let room = MAX_INPUT.saturating_sub(self.input.chars().count());
        self.input.extend(text.chars().take(room));
        self.feedback = None;
        QuizInput::Changed
    }

    fn answer(&mut self) -> QuizInput {
        let answer = match self.choices() {
            Some(_) => Some(Answer::Choice(self.selected)),
            None => parse_number(&self.input).map(Answer::Number),
        };
        let Some(answer) = answer else {
            self.feedback = Some(Feedback::NotANumber);
            return QuizInput::Changed;
        };
        let correct = self.quiz.is_correct(&answer);
        self.tries += 1;
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

/// A typed answer as a number. Besides `7.39` and `5.9e23` it takes what people write:
/// thousands separators (`1,000`, `12,345`), a decimal comma (`0,05`, `7,1`) and a simple
/// fraction (`1/20`). A comma followed by groups of exactly three digits after a non-zero
/// leading group is a thousands separator; any other single comma is a decimal point.
pub fn parse_number(text: &str) -> Option<f64> {
    let text = text.trim().replace(' ', "");
    if let Some((num, den)) = text.split_once('/') {
        let (num, den) = (parse_number(num)?, parse_number(den)?);
        return (den != 0.0).then(|| num / den).filter(|x| x.is_finite());
    }
    let plain = if text.contains(',') {
        let digits = text.trim_start_matches(['-', '+']);
        let groups: Vec<&str> = digits.split('.').next().unwrap_or("").split(',').collect();
        let thousands = groups.len() > 1
            && (1..=3).contains(&groups[0].len())
            && !groups[0].starts_with('0')
            && groups[1..].iter().all(|g| g.len() == 3);
        if thousands {
            text.replace(',', "")
        } else if text.matches(',').count() == 1 && !text.contains('.') {
            text.replace(',', ".")
        } else {
            return None;
        }
    } else {
        text
    };
    plain.parse::<f64>().ok().filter(|x| x.is_finite())
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
                answer: 7.4,
                precision: crate::course::precision::Precision::Decimals(1),
            },
            explain: "7.".into(),
            line: 1,
        })
    }

    #[test]
    fn numbers_are_read_as_people_write_them() {
        let cases = [
            ("7", Some(7.0)),
            (" 7.39 ", Some(7.39)),
            ("5.9e23", Some(5.9e23)),
            ("-2", Some(-2.0)),
            ("1,000", Some(1000.0)),
            ("12,345,678.5", Some(12_345_678.5)),
            ("0,05", Some(0.05)),
            ("7,1", Some(7.1)),
            ("1,5", Some(1.5)),
            ("1/20", Some(0.05)),
            ("3 / 4", Some(0.75)),
            ("1/0", None),
            ("1,2,3", None),
            ("1,000,00", None),
            ("e", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_number(text), want, "{text:?}");
        }
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
    fn a_paste_is_typed_whole_or_refused_whole() {
        let mut q = numeric();
        assert_eq!(q.paste("  \n "), QuizInput::Unchanged);
        // A sentence holds an "e" a number may hold; none of it may stay in the box.
        assert_eq!(q.paste("hello\nworld 🦜 東京 q"), QuizInput::Changed);
        assert_eq!(
            (q.input.as_str(), &q.feedback),
            ("", &Some(Feedback::PasteRefused))
        );
        assert_eq!(q.paste(" 7.4\n"), QuizInput::Changed);
        assert_eq!((q.input.as_str(), &q.feedback), ("7.4", &None));
        assert_eq!(
            q.handle(Action::Enter),
            QuizInput::Answered { correct: true }
        );
        // As much as the box holds, like typing.
        let mut q = numeric();
        q.paste(&"9".repeat(MAX_INPUT + 10));
        assert_eq!(q.input.chars().count(), MAX_INPUT);
        assert_eq!(choice().paste("2"), QuizInput::Ignored);
    }

    #[test]
    fn numbers_are_typed_checked_at_their_precision_and_not_numbers_said_so() {
        let mut q = numeric();
        assert_eq!(q.handle(Action::Up), QuizInput::Unchanged);
        for c in "7.4".chars() {
            assert_eq!(q.handle(Action::Char(c)), QuizInput::Changed);
        }
        // The key itself, at its one decimal.
        assert_eq!(
            q.handle(Action::Enter),
            QuizInput::Answered { correct: true }
        );
        q.handle(Action::Backspace);
        q.handle(Action::Backspace);
        assert_eq!(q.input, "7");
        // A letter that is no part of a number is refused, and said so.
        assert_eq!(q.handle(Action::Char('x')), QuizInput::Changed);
        assert_eq!(
            (q.input.as_str(), q.feedback.clone()),
            ("7", Some(Feedback::Refused('x')))
        );
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
