//! Cleaning a crawl (lesson 16), four pages over the bundled web pages:
//! - pair: two pages' word 5-gram shingles, exact Jaccard, and the MinHash estimate with k
//!   hashes (its error shrinks as 1/√k);
//! - LSH: the pairs that b bands of r rows flag as candidates, next to their similarity and
//!   the chance 1 − (1 − s^r)^b of being flagged;
//! - filters: what each heuristic quality rule removes;
//! - packing: page titles packed into fixed-length rows with an end-of-document token, and the
//!   attention mask with or without the document (block-diagonal) restriction.

use crate::labs::fmt_num;
use crate::labs::part4_pretraining::dedup::{
    candidate_probability, estimate, estimate_std, jaccard, lsh_candidates, lsh_threshold,
    shingles, words, MinHasher, FINEWEB_BANDS, FINEWEB_NGRAM, FINEWEB_ROWS,
};
use crate::labs::part4_pretraining::dedup_docs::PAGES;
use crate::labs::part4_pretraining::packing::{
    allowed_cross_pairs, attention_mask, cross_document_share, pack,
};
use crate::labs::part4_pretraining::quality::{failures, flagged_by_rule, PageStats, RULES};
use crate::viz::params::{ParamResult, Params};
use crate::viz::registry::{KindDef, ParamDef, ParamType};
use crate::viz::view::{BarsView, HeatmapView, Part, TableView};
use crate::viz::{Controls, Knobs, Panel, Scale, Visual, SEED};
use ndarray::Array2;
use std::collections::BTreeSet;

const VIEWS: &[&str] = &["pair", "lsh", "filters", "packing"];
const HASHES: &[usize] = &[16, 32, 64, 112, 128, 256];
const SEQ_LENS: &[usize] = &[4, 6, 8];
/// LSH bands, a control and a parameter.
const BANDS: Scale = Scale::linear(1.0, 32.0, 1.0, 0);
/// Rows per LSH band, a control and a parameter.
const ROWS: Scale = Scale::linear(1.0, 16.0, 1.0, 0);
/// Pairs below this similarity are listed on the LSH page only when flagged.
const LIST_FROM: f64 = 0.3;
/// The bundled pages' keys, as lessons name them (a test checks they match the pages).
const PAGE_KEYS: &[&str] = &[
    "recipe",
    "recipe-copy",
    "forum",
    "forum-repost",
    "kettle",
    "kettle-red",
    "cookies",
    "cookies-2",
    "keywords",
    "german",
    "news",
    "news-syndicated",
    "lorem",
    "javascript",
    "water",
    "water-essay",
    "hashtags",
    "subscribe",
    "travel",
    "travel-scraped",
    "links",
    "tyre",
    "returns",
    "returns-copy",
];

/// The `dedup` kind: how lessons name it, its parameters and how to build it.
pub const KIND: KindDef = KindDef {
    name: "dedup",
    title: "Web pages: quality rules, near-duplicates, packing",
    about: "compares two bundled web pages by exact Jaccard and by a MinHash estimate with a chosen number of hashes; sees which pairs banded LSH flags; what each quality rule removes; documents packed into training rows with and without a document mask",
    params: &[
        ParamDef {
            name: "view",
            ty: ParamType::Choice { options: VIEWS, default: "pair" },
            doc: "the page shown first: a pair, the LSH table, the quality filters or packing",
        },
        ParamDef {
            name: "a",
            ty: ParamType::Choice { options: PAGE_KEYS, default: "recipe" },
            doc: "the first page of the compared pair",
        },
        ParamDef {
            name: "b",
            ty: ParamType::Choice { options: PAGE_KEYS, default: "recipe-copy" },
            doc: "the second page of the compared pair",
        },
        ParamDef {
            name: "hashes",
            ty: ParamType::IntAmong { allowed: HASHES, default: 112 },
            doc: "MinHash signature length (FineWeb used 112)",
        },
        SEED.int("seed", 1, "seed of the hash family"),
        BANDS.int("bands", FINEWEB_BANDS as i64, "LSH bands b"),
        ROWS.int("rows", FINEWEB_ROWS as i64, "LSH rows per band r"),
        ParamDef {
            name: "seq_len",
            ty: ParamType::IntAmong { allowed: SEQ_LENS, default: 8 },
            doc: "tokens per packed training row",
        },
        ParamDef {
            name: "doc_mask",
            ty: ParamType::Bool { default: false },
            doc: "whether packed documents are masked from each other",
        },
    ],
    build,
};

fn build(p: Params) -> ParamResult<Box<dyn Panel>> {
    Ok(Box::new(Dedup::new(p)?))
}

pub struct Dedup {
    view: usize,
    a: usize,
    b: usize,
    hashes: usize,
    seed: u64,
    bands: usize,
    rows: usize,
    inspect: usize,
    seq_len: usize,
    doc_mask: bool,
    row: usize,
    /// Each page's 5-gram set, computed once.
    sets: Vec<BTreeSet<String>>,
}

fn page_index(key: &str) -> usize {
    PAGES.iter().position(|p| p.key == key).unwrap_or(0)
}

impl Dedup {
    pub fn new(mut p: Params) -> ParamResult<Self> {
        let view = p.index("view")?;
        let a = p.index("a")?;
        let b = p.index("b")?;
        let hashes = p.index("hashes")?;
        let seed = p.int("seed")? as u64;
        let bands = p.int("bands")? as usize;
        let rows = p.int("rows")? as usize;
        let seq_len = p.index("seq_len")?;
        let doc_mask = p.boolean("doc_mask")?;
        p.finish()?;
        Ok(Self {
            view,
            a,
            b,
            hashes,
            seed,
            bands,
            rows,
            inspect: page_index("hashtags"),
            seq_len,
            doc_mask,
            row: 0,
            sets: PAGES
                .iter()
                .map(|p| shingles(p.text, FINEWEB_NGRAM))
                .collect(),
        })
    }

    fn keys() -> Vec<String> {
        PAGES.iter().map(|p| p.key.to_string()).collect()
    }

    fn pair_page(&self) -> Vec<Part> {
        let (x, y) = (&self.sets[self.a], &self.sets[self.b]);
        let k = HASHES[self.hashes];
        let hasher = MinHasher::new(k, self.seed);
        let (sa, sb) = (hasher.signature(x), hasher.signature(y));
        let agree = sa.iter().zip(&sb).filter(|(p, q)| p == q).count();
        let est = estimate(&sa, &sb);
        let inter = x.intersection(y).count();
        let union = x.len() + y.len() - inter;
        let j = jaccard(x, y);
        vec![
            Part::Text(vec![
                format!("A: {}", PAGES[self.a].title),
                format!("B: {}", PAGES[self.b].title),
                format!(
                    "5-grams: {} and {}; shared {inter} of {union} distinct",
                    x.len(),
                    y.len()
                ),
                format!(
                    "exact Jaccard {inter}/{union} = {:.3}; MinHash {agree}/{k} slots = {:.3}",
                    j, est
                ),
                format!(
                    "expected error ±{:.3} (√(J(1−J)/k)); LSH 14×8 flags it with p = {:.3}",
                    estimate_std(j, k),
                    candidate_probability(j, FINEWEB_BANDS, FINEWEB_ROWS)
                ),
            ]),
            Part::Bars(BarsView {
                title: String::new(),
                labels: vec!["exact J".into(), format!("MinHash k={k}")],
                values: vec![j, est],
                decimals: 3,
                highlight: Some(1),
                max: Some(1.0),
            }),
        ]
    }

    fn lsh_page(&self) -> Vec<Part> {
        let k = self.bands * self.rows;
        let hasher = MinHasher::new(k, self.seed);
        let sigs: Vec<Vec<u64>> = self.sets.iter().map(|s| hasher.signature(s)).collect();
        let flagged: BTreeSet<(usize, usize)> = lsh_candidates(&sigs, self.bands, self.rows)
            .into_iter()
            .collect();
        let mut rows = Vec::new();
        for i in 0..PAGES.len() {
            for j in i + 1..PAGES.len() {
                let s = jaccard(&self.sets[i], &self.sets[j]);
                let hit = flagged.contains(&(i, j));
                if s >= LIST_FROM || hit {
                    rows.push(vec![
                        format!("{} / {}", PAGES[i].key, PAGES[j].key),
                        format!("{s:.3}"),
                        format!("{:.3}", estimate(&sigs[i], &sigs[j])),
                        format!("{:.3}", candidate_probability(s, self.bands, self.rows)),
                        if hit { "flagged" } else { "-" }.to_string(),
                    ]);
                }
            }
        }
        let n = PAGES.len();
        vec![
            Part::Text(vec![
                format!(
                    "{} bands × {} rows = {k} hashes; threshold ≈ (1/b)^(1/r) = {:.2}",
                    self.bands,
                    self.rows,
                    lsh_threshold(self.bands, self.rows)
                ),
                format!(
                    "{} of {} pairs flagged for an exact check; pairs J ≥ {LIST_FROM}:",
                    flagged.len(),
                    n * (n - 1) / 2
                ),
            ]),
            Part::Table(TableView {
                title: String::new(),
                headers: vec![
                    "pair".into(),
                    "J".into(),
                    "MinHash".into(),
                    "P(flag)".into(),
                    "LSH".into(),
                ],
                rows,
                highlight: None,
            }),
        ]
    }

    fn filters_page(&self) -> Vec<Part> {
        let texts: Vec<&str> = PAGES.iter().map(|p| p.text).collect();
        let by_rule = flagged_by_rule(&texts);
        let kept = texts.iter().filter(|t| failures(t).is_empty()).count();
        let rows = RULES
            .iter()
            .zip(&by_rule)
            .map(|(rule, docs)| {
                vec![
                    rule.name.to_string(),
                    docs.len().to_string(),
                    docs.iter()
                        .map(|d| PAGES[*d].key)
                        .collect::<Vec<_>>()
                        .join(", "),
                ]
            })
            .collect();
        let page = &PAGES[self.inspect];
        let s = PageStats::measure(page.text);
        let fails: Vec<&str> = failures(page.text)
            .into_iter()
            .map(|r| RULES[r].name)
            .collect();
        vec![
            Part::Table(TableView {
                title: format!("{kept} of {} pages pass every rule", PAGES.len()),
                headers: vec!["rule".into(), "removes".into(), "pages".into()],
                rows,
                highlight: None,
            }),
            Part::Text(vec![
                format!(
                    "{}: {} words, mean {} chars, {} symbols, {}/{} lines end in punct.,",
                    page.key,
                    s.words,
                    fmt_num(s.mean_word_len),
                    s.symbols,
                    s.lines_punctuated,
                    s.lines
                ),
                format!(
                    "{} repeated lines, {} of 8 stop words → {}",
                    s.duplicate_lines,
                    s.stop_words,
                    if fails.is_empty() {
                        "kept".to_string()
                    } else {
                        format!("removed: {}", fails.join(", "))
                    }
                ),
            ]),
        ]
    }

    fn packed(&self) -> Vec<Vec<crate::labs::part4_pretraining::packing::PackedToken>> {
        let docs: Vec<Vec<String>> = PAGES.iter().map(|p| words(p.title)).collect();
        pack(&docs, SEQ_LENS[self.seq_len])
    }

    fn packing_page(&self) -> Vec<Part> {
        let rows = self.packed();
        let row = &rows[self.row.min(rows.len() - 1)];
        let ids: Vec<usize> = row.iter().map(|t| t.doc).collect();
        let mask = attention_mask(&ids, self.doc_mask);
        let n = ids.len();
        let values = Array2::from_shape_fn((n, n), |(i, j)| if mask[i][j] { 1.0 } else { 0.0 });
        let first = ids.first().copied().unwrap_or(0);
        // Documents as letters, A for the first in the row, so each column label is one
        // character and the heatmap needs no legend.
        let letter = |d: usize| char::from(b'A' + ((d - first) % 26) as u8).to_string();
        let allowed = mask.iter().flatten().filter(|a| **a).count();
        let docs_in_row: BTreeSet<usize> = ids.iter().copied().collect();
        let shown = self.row.min(rows.len() - 1) + 1;
        let mut text = vec![format!(
            "row {shown} of {}, {} document{}:",
            rows.len(),
            docs_in_row.len(),
            if docs_in_row.len() == 1 { "" } else { "s" }
        )];
        for d in &docs_in_row {
            let title: String = PAGES[*d].title.chars().take(40).collect();
            text.push(format!("{}: {title}", letter(*d)));
        }
        let pairs = n * (n + 1) / 2;
        let crossing = allowed_cross_pairs(&attention_mask(&ids, false), &ids);
        text.extend([
            "causal pairs that cross documents:".to_string(),
            format!(
                "  {crossing} of {pairs} ({:.0}%)",
                100.0 * cross_document_share(&ids)
            ),
            format!(
                "{} mask allows {allowed} pairs,",
                if self.doc_mask { "document" } else { "causal" }
            ),
            format!(
                "  {} of them across documents",
                allowed_cross_pairs(&mask, &ids)
            ),
        ]);
        vec![Part::Columns(vec![
            Part::Heatmap(HeatmapView {
                title: "dark = may attend".into(),
                row_labels: row.iter().map(|t| t.text.clone()).collect(),
                col_labels: ids.iter().map(|d| letter(*d)).collect(),
                values,
                range: Some((0.0, 1.0)),
                cursor: None,
            }),
            Part::Text(text),
        ])]
    }
}

impl Controls for Dedup {
    fn declare(&self, k: &mut Knobs<Self>) {
        let names = |xs: &[usize]| xs.iter().map(ToString::to_string).collect();
        let views = VIEWS.iter().map(|s| (*s).to_string()).collect();
        k.choice("page", views, self.view, |d, i| d.view = i);
        match self.view {
            0 => {
                k.choice("page A", Self::keys(), self.a, |d, i| d.a = i);
                k.choice("page B", Self::keys(), self.b, |d, i| d.b = i);
                k.choice("hashes k", names(HASHES), self.hashes, |d, i| d.hashes = i);
                k.seed("seed", self.seed, |d, s| d.seed = s);
            }
            1 => {
                k.count("bands b", self.bands, BANDS, |d, b| d.bands = b);
                k.count("rows r", self.rows, ROWS, |d, r| d.rows = r);
                k.seed("seed", self.seed, |d, s| d.seed = s);
            }
            2 => {
                k.choice("inspect", Self::keys(), self.inspect, |d, i| d.inspect = i);
            }
            _ => {
                let rows = self.packed().len();
                k.choice("sequence length", names(SEQ_LENS), self.seq_len, |d, i| {
                    d.seq_len = i;
                    d.row = d.row.min(d.packed().len() - 1);
                });
                k.toggle("document mask", self.doc_mask, |d, on| d.doc_mask = on);
                let scale = Scale::linear(1.0, rows as f64, 1.0, 0);
                k.count("row", self.row.min(rows - 1) + 1, scale, |d, r| {
                    d.row = r - 1
                });
            }
        }
    }
}

impl Visual for Dedup {
    fn parts(&self) -> Vec<Part> {
        match self.view {
            0 => self.pair_page(),
            1 => self.lsh_page(),
            2 => self.filters_page(),
            _ => self.packing_page(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option lists lessons use are the same, in the same order, as the lab's own data.
    #[test]
    fn option_lists_match_the_data() {
        assert_eq!(
            PAGE_KEYS,
            crate::labs::part4_pretraining::dedup_docs::PAGES
                .iter()
                .map(|p| p.key)
                .collect::<Vec<_>>()
                .as_slice()
        );
    }
    use serde_json::{json, Map, Value};

    fn lab(v: Value) -> Dedup {
        let map: Map<String, Value> = v.as_object().cloned().unwrap_or_default();
        Dedup::new(Params::new(&map, &KIND)).unwrap()
    }

    fn text(parts: &[Part]) -> String {
        parts
            .iter()
            .filter_map(|p| match p {
                Part::Text(l) => Some(l.join("\n")),
                Part::Columns(c) => Some(text(c)),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// recipe/recipe-copy: 91 and 101 shingles, 87 shared of 105 (python3), J = 0.829;
    /// std with k = 112: sqrt(0.8286·0.1714/112) = 0.036.
    #[test]
    fn pair_page_shows_exact_and_estimate() {
        let t = text(&lab(json!({})).parts());
        assert!(t.contains("5-grams: 91 and 101; shared 87 of 105"), "{t}");
        assert!(t.contains("exact Jaccard 87/105 = 0.829"), "{t}");
        assert!(t.contains("±0.036"), "{t}");
    }

    #[test]
    fn lsh_page_flags_the_copies() {
        let parts = lab(json!({"view": "lsh"})).parts();
        let Part::Table(table) = &parts[1] else {
            panic!()
        };
        let flagged: Vec<&str> = table
            .rows
            .iter()
            .filter(|r| r[4] == "flagged")
            .map(|r| r[0].as_str())
            .collect();
        assert!(flagged.contains(&"forum / forum-repost"), "{flagged:?}");
        assert!(flagged.contains(&"returns / returns-copy"), "{flagged:?}");
        assert!(!flagged.contains(&"news / news-syndicated"), "{flagged:?}");
    }

    #[test]
    fn filters_page_counts_each_rule() {
        let parts = lab(json!({"view": "filters"})).parts();
        let Part::Table(table) = &parts[0] else {
            panic!()
        };
        // From the quality tests: boilerplate removes lorem and javascript.
        assert_eq!(table.rows[4][1], "2");
        assert!(text(&parts).contains("hashtags: 42 words"));
    }

    /// Titles "Banana bread recipe" (3 words + eos) and "The same recipe on another site"
    /// (6 + eos): a row of 8 holds 4 of doc A and 4 of doc B; causal pairs 36, same-document
    /// 10 + 10 = 20, so 16/36 = 44% cross; the document mask allows 20, none across.
    #[test]
    fn packing_page_by_hand() {
        let mut l = lab(json!({"view": "packing"}));
        let t = text(&l.parts());
        assert!(t.contains("row 1 of "), "{t}");
        assert!(t.contains("A: Banana bread recipe"), "{t}");
        assert!(t.contains("  16 of 36 (44%)"), "{t}");
        assert!(t.contains("causal mask allows 36 pairs"), "{t}");
        assert!(t.contains("  16 of them across documents"), "{t}");
        l.adjust(2, 1);
        let t = text(&l.parts());
        assert!(t.contains("document mask allows 20 pairs"), "{t}");
        assert!(t.contains("  0 of them across documents"), "{t}");
    }
}
