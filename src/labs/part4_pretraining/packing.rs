//! Packing documents into fixed-length training sequences (lesson 16). Pre-training feeds the
//! model rows of exactly `seq_len` tokens, so documents are joined end to end with an
//! end-of-document token between them and the stream is cut every `seq_len` tokens: no padding
//! is wasted, but a row now holds pieces of several documents. With a plain causal mask a token
//! may attend to the end of an unrelated document before it; a document (block-diagonal) mask
//! also forbids every pair whose two tokens come from different documents.

/// The separator appended after every document.
pub const EOS: &str = "<eos>";

/// One token of a packed row, with the document it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedToken {
    pub text: String,
    pub doc: usize,
}

/// Joins the documents (each a list of tokens) with [`EOS`] after each, then cuts the stream
/// into rows of `seq_len` tokens; the last row holds what is left and may be shorter.
pub fn pack(docs: &[Vec<String>], seq_len: usize) -> Vec<Vec<PackedToken>> {
    let seq_len = seq_len.max(1);
    let stream: Vec<PackedToken> = docs
        .iter()
        .enumerate()
        .flat_map(|(doc, tokens)| {
            tokens
                .iter()
                .cloned()
                .chain(std::iter::once(EOS.to_string()))
                .map(move |text| PackedToken { text, doc })
        })
        .collect();
    stream
        .chunks(seq_len)
        .map(<[PackedToken]>::to_vec)
        .collect()
}

/// Whether query position i may attend to key position j within one row: always causally
/// (j ≤ i), and with `by_document` only inside the same document.
pub fn attention_mask(docs: &[usize], by_document: bool) -> Vec<Vec<bool>> {
    (0..docs.len())
        .map(|i| {
            (0..docs.len())
                .map(|j| j <= i && (!by_document || docs[i] == docs[j]))
                .collect()
        })
        .collect()
}

/// Of the causal pairs (j ≤ i) in a row, the share whose two tokens come from different
/// documents: what a plain causal mask lets leak across a document boundary.
pub fn cross_document_share(docs: &[usize]) -> f64 {
    let n = docs.len();
    let pairs = n * (n + 1) / 2;
    let cross = (0..n)
        .map(|i| (0..=i).filter(|&j| docs[i] != docs[j]).count())
        .sum::<usize>();
    cross as f64 / pairs.max(1) as f64
}

/// Allowed pairs of a mask that cross a document boundary (zero for a document mask).
pub fn allowed_cross_pairs(mask: &[Vec<bool>], docs: &[usize]) -> usize {
    mask.iter()
        .enumerate()
        .map(|(i, row)| {
            row.iter()
                .enumerate()
                .filter(|(j, allowed)| **allowed && docs[i] != docs[*j])
                .count()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(words: &str) -> Vec<String> {
        words.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn packing_keeps_every_token_once_and_in_order() {
        let docs = vec![toks("a b c"), toks("d e"), toks("f g h i")];
        for seq_len in 1..=14 {
            let rows = pack(&docs, seq_len);
            assert!(rows.iter().all(|r| r.len() <= seq_len));
            assert!(rows[..rows.len() - 1].iter().all(|r| r.len() == seq_len));
            let flat: Vec<String> = rows.iter().flatten().map(|t| t.text.clone()).collect();
            assert_eq!(
                flat.join(" "),
                "a b c <eos> d e <eos> f g h i <eos>",
                "seq_len {seq_len}"
            );
        }
    }

    /// Lengths 3, 2, 4 plus an EOS each → 4 + 3 + 5 = 12 tokens; rows of 8: the first holds
    /// doc 0 (4), doc 1 (3), doc 2 (1). Causal pairs 8·9/2 = 36; same-document pairs
    /// 4·5/2 + 3·4/2 + 1 = 17; so 19/36 = 0.52778 cross a boundary.
    #[test]
    fn cross_document_share_by_hand() {
        let docs = vec![toks("a b c"), toks("d e"), toks("f g h i")];
        let rows = pack(&docs, 8);
        let ids: Vec<usize> = rows[0].iter().map(|t| t.doc).collect();
        assert_eq!(ids, vec![0, 0, 0, 0, 1, 1, 1, 2]);
        assert!((cross_document_share(&ids) - 19.0 / 36.0).abs() < 1e-12);
        let causal = attention_mask(&ids, false);
        assert_eq!(allowed_cross_pairs(&causal, &ids), 19);
        let blocked = attention_mask(&ids, true);
        assert_eq!(allowed_cross_pairs(&blocked, &ids), 0);
        let allowed: usize = blocked.iter().flatten().filter(|a| **a).count();
        assert_eq!(allowed, 17);
        // The second row is the rest of doc 2 alone: nothing crosses.
        let rest: Vec<usize> = rows[1].iter().map(|t| t.doc).collect();
        assert_eq!(cross_document_share(&rest), 0.0);
    }

    #[test]
    fn document_mask_never_crosses_for_any_packing() {
        let docs = vec![toks("a b c d e"), toks("f"), toks("g h"), toks("i j k l")];
        for seq_len in 1..=16 {
            for row in pack(&docs, seq_len) {
                let ids: Vec<usize> = row.iter().map(|t| t.doc).collect();
                let mask = attention_mask(&ids, true);
                assert_eq!(allowed_cross_pairs(&mask, &ids), 0);
                // Every token still sees itself.
                assert!((0..ids.len()).all(|i| mask[i][i]));
            }
        }
    }
}
