//! The lesson picker: an overlay listing every lesson by part, narrowed as the learner types a
//! number or part of a title, so any lesson is two or three keys away at any terminal size
//! (the side outline needs 110 columns; the picker works from the 60x16 minimum).
//!
//! Only state and matching live here; `ui::picker` draws it and the app opens the lesson.

use crate::course::Course;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Picker {
    /// What the learner typed to narrow the list.
    pub query: String,
    /// Index into `matches(..)` of the highlighted lesson.
    pub cursor: usize,
}

/// Longest query kept: longer than any title, short enough to fit the overlay.
const MAX_QUERY: usize = 40;

impl Picker {
    /// Opens with the current lesson highlighted.
    pub fn new(course: &Course, current: usize) -> Self {
        let mut p = Self::default();
        p.cursor = p
            .matches(course)
            .iter()
            .position(|&i| i == current)
            .unwrap_or(0);
        p
    }

    /// The lessons (indices into `course.lessons`) the query matches, in course order. A
    /// query of digits matches lesson numbers (`6` and `06` find lesson 06, `1` finds 01 and
    /// 10–19); any other query matches titles and slugs, ignoring case.
    pub fn matches(&self, course: &Course) -> Vec<usize> {
        let query = self.query.trim().to_lowercase();
        course
            .lessons
            .iter()
            .enumerate()
            .filter(|(_, l)| {
                if query.is_empty() {
                    return true;
                }
                if query.chars().all(|c| c.is_ascii_digit()) {
                    let wanted = query.trim_start_matches('0');
                    let number = l.number.trim_start_matches('0');
                    return number.starts_with(wanted) || l.number.starts_with(&query);
                }
                l.title.to_lowercase().contains(&query) || l.slug.contains(&query)
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The lesson Enter would open, if any matches.
    pub fn chosen(&self, course: &Course) -> Option<usize> {
        self.matches(course).get(self.cursor).copied()
    }

    /// Moves the highlight; whether it moved.
    pub fn move_by(&mut self, course: &Course, delta: i64) -> bool {
        let n = self.matches(course).len() as i64;
        let old = self.cursor;
        self.cursor = (self.cursor as i64 + delta).clamp(0, (n - 1).max(0)) as usize;
        old != self.cursor
    }

    /// Types a character into the query; the highlight goes to the first match.
    pub fn type_char(&mut self, c: char) -> bool {
        if c.is_control() || self.query.chars().count() >= MAX_QUERY {
            return false;
        }
        self.query.push(c);
        self.cursor = 0;
        true
    }

    pub fn backspace(&mut self) -> bool {
        let changed = self.query.pop().is_some();
        self.cursor = 0;
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::course::{Lesson, Step};

    fn course() -> Course {
        let lesson = |number: &str, slug: &str, title: &str| Lesson {
            number: number.into(),
            slug: slug.into(),
            title: title.into(),
            file: format!("{number}-{slug}.md"),
            part: 0,
            steps: vec![Step {
                title: "s".into(),
                line: 1,
                prose: Vec::new(),
                panel: None,
                code_lines: Vec::new(),
            }]
            .into(),
        };
        Course {
            title: "c".into(),
            parts: vec!["Part".into()],
            lessons: vec![
                lesson("01", "tokens", "Text becomes tokens"),
                lesson("06", "attention-math", "Attention, the arithmetic"),
                lesson("10", "masks", "Masks"),
                lesson("16", "kv-cache", "The KV cache"),
            ],
        }
    }

    #[test]
    fn numbers_match_lesson_numbers_with_or_without_the_zero() {
        let c = course();
        let mut p = Picker::default();
        assert_eq!(p.matches(&c), vec![0, 1, 2, 3], "empty: everything");
        p.type_char('6');
        assert_eq!(
            p.matches(&c),
            vec![1],
            "6 finds 06 (not 16: numbers match from the start)"
        );
        p.backspace();
        p.type_char('0');
        p.type_char('6');
        assert_eq!(p.chosen(&c), Some(1));
        p.query = "1".into();
        assert_eq!(p.matches(&c), vec![0, 2, 3], "1 finds 01, 10 and 16");
    }

    #[test]
    fn words_match_titles_and_slugs_ignoring_case() {
        let c = course();
        let mut p = Picker::default();
        for ch in "KV".chars() {
            p.type_char(ch);
        }
        assert_eq!(p.matches(&c), vec![3]);
        p.query = "attention".into();
        assert_eq!(p.matches(&c), vec![1]);
        p.query = "zzz".into();
        assert_eq!(p.chosen(&c), None);
        assert!(!p.move_by(&c, 1), "nothing to move over");
    }

    #[test]
    fn opens_on_the_current_lesson_and_moves_within_the_matches() {
        let c = course();
        let mut p = Picker::new(&c, 2);
        assert_eq!(p.chosen(&c), Some(2));
        assert!(p.move_by(&c, 5));
        assert_eq!(p.chosen(&c), Some(3), "stops at the last");
        assert!(!p.move_by(&c, 1));
        assert!(p.move_by(&c, -10));
        assert_eq!(p.chosen(&c), Some(0));
    }
}
