//! A toy quality filter (lesson 16): a few page-level heuristic rules in the spirit of those
//! published for Gopher's MassiveText (Rae et al. 2021, arXiv:2112.11446: word-count bounds,
//! mean word length, symbol-to-word ratio, duplicate lines, stop words) and for C4 (Raffel et
//! al. 2019, arXiv:1910.10683: lines ending in punctuation, "lorem ipsum", "javascript"). The
//! thresholds follow those papers where they give one; the point is to see what each rule
//! removes from a handful of real-looking pages, not to reproduce either pipeline.

/// One rule: a short name, what it checks, and a check that returns why a page fails.
pub struct Rule {
    pub name: &'static str,
    pub description: &'static str,
    check: fn(&PageStats) -> bool,
}

/// Numbers the rules look at, measured once per page.
#[derive(Debug, Clone, PartialEq)]
pub struct PageStats {
    /// Whitespace-separated words.
    pub words: usize,
    pub mean_word_len: f64,
    /// '#' characters plus ellipses ("..." or "…").
    pub symbols: usize,
    /// Non-blank lines, and how many end in terminal punctuation.
    pub lines: usize,
    pub lines_punctuated: usize,
    /// Lines that repeat an earlier line exactly.
    pub duplicate_lines: usize,
    /// Which of Gopher's eight stop words (the, be, to, of, and, that, have, with) occur.
    pub stop_words: usize,
    pub boilerplate: bool,
}

const STOP_WORDS: [&str; 8] = ["the", "be", "to", "of", "and", "that", "have", "with"];
const TERMINAL: [char; 8] = ['.', '!', '?', '"', '\'', ')', '…', ':'];

impl PageStats {
    pub fn measure(text: &str) -> Self {
        let tokens: Vec<&str> = text.split_whitespace().collect();
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let total_len: usize = tokens.iter().map(|w| w.chars().count()).sum();
        let mut seen = std::collections::HashSet::new();
        let duplicate_lines = lines.iter().filter(|l| !seen.insert(**l)).count();
        let stripped: std::collections::HashSet<String> = tokens
            .iter()
            .map(|w| {
                w.trim_matches(|c: char| ".,!?;:\"'()".contains(c))
                    .to_lowercase()
            })
            .collect();
        let lower = text.to_lowercase();
        Self {
            words: tokens.len(),
            mean_word_len: total_len as f64 / tokens.len().max(1) as f64,
            symbols: text.matches('#').count()
                + text.matches("...").count()
                + text.matches('…').count(),
            lines: lines.len(),
            lines_punctuated: lines.iter().filter(|l| l.ends_with(&TERMINAL[..])).count(),
            duplicate_lines,
            stop_words: STOP_WORDS.iter().filter(|w| stripped.contains(**w)).count(),
            boilerplate: lower.contains("lorem ipsum") || lower.contains("javascript"),
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    a as f64 / b.max(1) as f64
}

/// The rules, in the order they are reported.
pub const RULES: &[Rule] = &[
    Rule {
        name: "too few words",
        description: "fewer than 50 words (Gopher keeps 50 to 100,000)",
        check: |s| s.words < 50 || s.words > 100_000,
    },
    Rule {
        name: "odd word length",
        description: "mean word length outside 3 to 10 characters",
        check: |s| !(3.0..=10.0).contains(&s.mean_word_len),
    },
    Rule {
        name: "symbols",
        description: "more than 0.1 '#' or '...' per word",
        check: |s| ratio(s.symbols, s.words) > 0.1,
    },
    Rule {
        name: "no punctuation",
        description: "under half the lines end in . ! ? or a quote",
        check: |s| ratio(s.lines_punctuated, s.lines) < 0.5,
    },
    Rule {
        name: "boilerplate",
        description: "contains \"lorem ipsum\" or \"javascript\"",
        check: |s| s.boilerplate,
    },
    Rule {
        name: "repeated lines",
        description: "over 30% of lines repeat an earlier line",
        check: |s| ratio(s.duplicate_lines, s.lines) > 0.3,
    },
    Rule {
        name: "few stop words",
        description: "fewer than 2 of: the be to of and that have with",
        check: |s| s.stop_words < 2,
    },
];

/// Which rules (indices into [`RULES`]) a page fails.
pub fn failures(text: &str) -> Vec<usize> {
    let stats = PageStats::measure(text);
    RULES
        .iter()
        .enumerate()
        .filter(|(_, r)| (r.check)(&stats))
        .map(|(i, _)| i)
        .collect()
}

/// For each rule, the pages (indices into `texts`) it flags.
pub fn flagged_by_rule(texts: &[&str]) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new(); RULES.len()];
    for (doc, text) in texts.iter().enumerate() {
        for rule in failures(text) {
            out[rule].push(doc);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labs::part4_pretraining::dedup_docs::PAGES;

    /// Expected failures worked out independently in Python with the same definitions
    /// (text.split() words, non-blank stripped lines, str.endswith on the terminal marks):
    /// cookies: 28 words → too few; keywords: 37 words, 0/6 lines punctuated, 0 stop words;
    /// german: 0 stop words; lorem: boilerplate, and its only stop word is "to" (in "Welcome
    /// to"); javascript: boilerplate; hashtags: 42 words, 32 symbols (0.76/word), 0/3
    /// lines punctuated, 0 stop words; subscribe: 8 of 11 lines repeat (0.73);
    /// links: 6 words of mean length 60.
    #[test]
    fn each_rule_removes_what_the_reference_says() {
        let expect: &[(&str, &[usize])] = &[
            ("recipe", &[]),
            ("news-syndicated", &[]),
            ("cookies", &[0]),
            ("keywords", &[0, 3, 6]),
            ("german", &[6]),
            ("lorem", &[4, 6]),
            ("javascript", &[4]),
            ("hashtags", &[0, 2, 3, 6]),
            ("subscribe", &[5]),
            ("links", &[0, 1, 3, 6]),
        ];
        for (key, rules) in expect {
            let page = PAGES.iter().find(|p| p.key == *key).unwrap();
            assert_eq!(failures(page.text), rules.to_vec(), "{key}");
        }
        let s = PageStats::measure(PAGES.iter().find(|p| p.key == "subscribe").unwrap().text);
        assert_eq!((s.lines, s.duplicate_lines, s.words), (11, 8, 71));
        let h = PageStats::measure(PAGES.iter().find(|p| p.key == "hashtags").unwrap().text);
        assert_eq!((h.words, h.symbols), (42, 32));
    }

    #[test]
    fn every_rule_removes_at_least_one_bundled_page() {
        let texts: Vec<&str> = PAGES.iter().map(|p| p.text).collect();
        for (rule, docs) in RULES.iter().zip(flagged_by_rule(&texts)) {
            assert!(!docs.is_empty(), "{} removes nothing", rule.name);
        }
    }
}
