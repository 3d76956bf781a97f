//! Plain 7-bit spellings for `--ascii`: the course's text uses maths and typography (`·`,
//! `×`, `√`, `≈`, `…`, `ᵀ`, `10⁻³`) that a terminal without Unicode cannot draw.
//!
//! [`fold`] rewrites text before it is laid out, so a spelling may take more columns than the
//! glyph (`√` becomes `sqrt`, `x²` becomes `x^2`) and wrapping still comes out right. [`fold_char`]
//! is the last resort for a cell already on screen: one column in, one column out.

use std::borrow::Cow;

/// Text with every non-ASCII character spelled in ASCII.
pub fn fold(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut in_super = false;
    let mut in_sub = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        // `√d` reads as `sqrt d`, `√(d_k)` as `sqrt(d_k)`.
        if c == '√' {
            out.push_str("sqrt");
            if chars.peek().is_some_and(|n| n.is_alphanumeric()) {
                out.push(' ');
            }
            in_super = false;
            in_sub = false;
            continue;
        }
        if let Some(d) = superscript(c) {
            if !in_super {
                out.push('^');
            }
            out.push(d);
            in_super = true;
            continue;
        }
        in_super = false;
        if let Some(d) = subscript(c) {
            if !in_sub {
                out.push('_');
            }
            out.push(d);
            in_sub = true;
            continue;
        }
        in_sub = false;
        match spelling(c) {
            // A spelled word keeps apart from letters around it: `∇θ` is `grad theta`,
            // `A∩B` is `A intersect B`.
            Some(s) if s.len() > 1 && s.chars().all(|ch| ch.is_ascii_alphabetic()) => {
                let joins_before = matches!(c, '∩' | '∪' | '∈' | '∉')
                    && out
                        .chars()
                        .last()
                        .is_some_and(|p| !p.is_whitespace() && p != '(');
                if joins_before {
                    out.push(' ');
                }
                out.push_str(s);
                let next_is_word = chars.peek().is_some_and(|n| {
                    n.is_alphanumeric()
                        && (n.is_ascii() || spelling(*n).is_some_and(|w| w.len() > 1))
                });
                let spaced_after = matches!(c, '∩' | '∪' | '∈' | '∉')
                    && chars
                        .peek()
                        .is_some_and(|n| !n.is_whitespace() && *n != ')');
                if next_is_word || spaced_after {
                    out.push(' ');
                }
            }
            Some(s) => out.push_str(s),
            None if c.is_ascii() => out.push(c),
            None => out.push(fold_char(c)),
        }
    }
    Cow::Owned(out)
}

/// A superscript's plain character (`²` is `2`, `ᵀ` is `T`).
fn superscript(c: char) -> Option<char> {
    Some(match c {
        '⁰' => '0',
        '¹' => '1',
        '²' => '2',
        '³' => '3',
        '⁴' => '4',
        '⁵' => '5',
        '⁶' => '6',
        '⁷' => '7',
        '⁸' => '8',
        '⁹' => '9',
        '⁻' => '-',
        '⁺' => '+',
        'ᵀ' => 'T',
        'ⁿ' => 'n',
        'ᵢ' => 'i',
        _ => return None,
    })
}

fn subscript(c: char) -> Option<char> {
    let digit = u32::from(c).checked_sub(0x2080).filter(|d| *d <= 9)?;
    char::from_digit(digit, 10)
}

/// Spellings longer than one character, or exact one-character ones.
fn spelling(c: char) -> Option<&'static str> {
    Some(match c {
        '→' => "->",
        '←' => "<-",
        '↑' => "Up",
        '↓' => "Down",
        '⇒' => "=>",
        '↔' => "<->",
        '·' | '⋅' | '∙' => "*",
        '×' => "x",
        '−' | '–' | '‐' | '‑' => "-",
        '—' => "--",
        '≈' | '∼' | '≃' => "~",
        '≤' => "<=",
        '≥' => ">=",
        '≠' => "!=",
        '≪' => "<<",
        '≫' => ">>",
        '≻' => ">",
        '≺' => "<",
        '÷' => "/",
        '🙂' => ":)",
        '±' => "+/-",
        '‖' => "||",
        '…' => "...",
        '∞' => "inf",
        '∑' | 'Σ' => "sum",
        '∏' => "prod",
        '∈' => "in",
        '∝' => "~",
        '°' => " deg",
        '‘' | '’' | '′' => "'",
        '“' | '”' | '″' => "\"",
        '•' => "*",
        '␣' => "_",
        '⏎' => "\\n",
        '▁' => "_",
        'α' => "alpha",
        'β' => "beta",
        'γ' => "gamma",
        'Γ' => "Gamma",
        'δ' => "delta",
        'Δ' => "Delta",
        'ε' | 'ϵ' => "eps",
        'ζ' => "zeta",
        'η' => "eta",
        'θ' => "theta",
        'Θ' => "Theta",
        'ι' => "iota",
        'κ' => "kappa",
        'λ' => "lambda",
        'Λ' => "Lambda",
        'μ' | 'µ' => "mu",
        'ν' => "nu",
        'ξ' => "xi",
        'π' => "pi",
        'Π' => "Pi",
        'ρ' => "rho",
        'σ' | 'ς' => "sigma",
        'τ' => "tau",
        'υ' => "upsilon",
        'φ' | 'ϕ' => "phi",
        'Φ' => "Phi",
        'χ' => "chi",
        'ψ' => "psi",
        'Ψ' => "Psi",
        'ω' => "omega",
        'Ω' => "Omega",
        '∇' => "grad",
        '∂' => "d",
        '∫' => "integral",
        '∩' => "intersect",
        '∪' => "union",
        '∉' => "not in",
        '⊂' | '⊆' => "subset of",
        '∅' => "{}",
        '∀' => "for all",
        '∃' => "exists",
        '¬' => "not ",
        '∧' => "and",
        '∨' => "or",
        '≡' => "==",
        '≅' => "~=",
        '⊙' | '⊗' => "(x)",
        '⊕' => "(+)",
        '∘' => "o",
        '⌊' | '⌋' | '⌈' | '⌉' => "|",
        '⟨' => "<",
        '⟩' => ">",
        '∣' => "|",
        'ℓ' => "l",
        'ℝ' => "R",
        '½' => "1/2",
        '¼' => "1/4",
        '¾' => "3/4",
        '⅓' => "1/3",
        '⅔' => "2/3",
        '€' => "EUR",
        '£' => "GBP",
        '§' => "S",
        '©' => "(c)",
        '®' => "(R)",
        '™' => "(TM)",
        '‰' => " per mille",
        '⇔' => "<=>",
        '↦' => "|->",
        '⟶' => "-->",
        '✅' => "ok",
        '❌' => "x",
        '★' | '☆' => "*",
        '\u{ad}' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{fe0f}' => "",
        '✓' | '✔' => "ok",
        '✗' | '✘' => "x",
        '\u{a0}' | '\u{2009}' | '\u{202f}' => " ",
        _ => return None,
    })
}

/// A Latin letter with an accent as its plain letter (`é` is `e`), for names and words the
/// course quotes from other languages.
fn unaccented(c: char) -> Option<char> {
    const FROM: &str = "àáâãäåāăąçćčďèéêëēėęěìíîïīįłñńňòóôõöøōőřśšşťùúûüūůűųýÿźżž\
                        ÀÁÂÃÄÅĀĂĄÇĆČĎÈÉÊËĒĖĘĚÌÍÎÏĪĮŁÑŃŇÒÓÔÕÖØŌŐŘŚŠŞŤÙÚÛÜŪŮŰŲÝŸŹŻŽ";
    const TO: &str = "aaaaaaaaacccdeeeeeeeeiiiiiilnnnoooooooorsssstuuuuuuuuyyzzz\
                      AAAAAAAAACCCDEEEEEEEEIIIIIILNNNOOOOOOOORSSSTUUUUUUUUYYZZZ";
    FROM.chars()
        .zip(TO.chars())
        .find_map(|(f, t)| (f == c).then_some(t))
}

/// One column for one character on screen: a look-alike where there is one, else `?`.
pub fn fold_char(c: char) -> char {
    if c.is_ascii() {
        return c;
    }
    if let Some(d) = superscript(c).or_else(|| subscript(c)) {
        return d;
    }
    if let Some(plain) = unaccented(c) {
        return plain;
    }
    match c {
        '←' | '⇐' | '◀' | '◂' | '◄' | '‹' | '«' => '<',
        '→' | '⇒' | '▶' | '▸' | '►' | '›' | '»' => '>',
        '↑' | '▲' => '^',
        '↓' | '▼' => 'v',
        '\u{2190}'..='\u{21FF}' => '>',
        '│' | '┃' | '║' | '┤' | '├' | '‖' | '▏' | '▕' => '|',
        '─' | '━' | '═' | '−' | '–' | '—' | '‐' | '‑' => '-',
        '\u{2500}'..='\u{257F}' => '+',
        '␣' | '▁' => '_',
        '\u{2580}'..='\u{259F}' => '#',
        '\u{25A0}'..='\u{25FF}' => 'o',
        '\u{2800}'..='\u{28FF}' => '.',
        '·' | '⋅' | '∙' | '•' | '×' => '*',
        '…' => '~',
        '≈' | '∼' | '∝' | '≃' | '≅' => '~',
        '≤' | '⟨' => '<',
        '≥' | '⟩' => '>',
        '√' => 'V',
        '∞' => '8',
        '±' => '+',
        '≠' => '#',
        '÷' => '/',
        '°' => 'o',
        '≪' | '≺' => '<',
        '≫' | '≻' => '>',
        '⊙' | '∘' => 'o',
        '⊗' => 'x',
        '⊕' => '+',
        '\u{1F300}'..='\u{1FAFF}' => '@',
        '∑' | 'Σ' => 'E',
        '∏' | 'Π' => 'P',
        '∇' => 'V',
        '∂' => 'd',
        '∈' => 'e',
        '∩' => 'n',
        '∪' => 'U',
        '∣' | '⌊' | '⌋' | '⌈' | '⌉' => '|',
        'α' => 'a',
        'β' => 'B',
        'γ' => 'y',
        'δ' | 'Δ' => 'd',
        'ε' | 'ϵ' => 'e',
        'η' => 'n',
        'θ' | 'Θ' => 'O',
        'κ' => 'k',
        'λ' => 'L',
        'μ' | 'µ' => 'u',
        'ν' => 'v',
        'π' => 'n',
        'ρ' => 'p',
        'σ' | 'ς' => 'o',
        'τ' => 't',
        'φ' | 'ϕ' | 'Φ' => 'o',
        'χ' => 'x',
        'ψ' => 'w',
        'ω' | 'Ω' => 'w',
        'ℓ' => 'l',
        '‘' | '’' | '′' => '\'',
        '“' | '”' | '″' => '"',
        '⏎' => '$',
        '✓' | '✔' => '+',
        '✗' | '✘' => 'x',
        '\u{a0}' | '\u{2009}' | '\u{202f}' => ' ',
        _ => '?',
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maths_and_typography_are_spelled_out() {
        assert_eq!(fold("q·k / √d, √(d)"), "q*k / sqrt d, sqrt(d)");
        assert_eq!(fold("2 × 3 − 1 ≈ 5…"), "2 x 3 - 1 ~ 5...");
        assert_eq!(fold("Wᵀx and 10⁻³ and d²"), "W^Tx and 10^-3 and d^2");
        assert_eq!(fold("x₁₂ ≤ ‖v‖"), "x_12 <= ||v||");
        assert_eq!(fold("a — b → c"), "a -- b -> c");
        assert_eq!(fold("plain"), "plain");
        assert_eq!(fold("∇θ J, β·KL, Σ π"), "grad theta J, beta*KL, sum pi");
        assert_eq!(fold("|A ∩ B| / |A∪B|"), "|A intersect B| / |A union B|");
        assert_eq!(fold("2π, θ_t, βx"), "2pi, theta_t, beta x");
        assert_eq!(fold("café"), "cafe");
        assert!(matches!(fold("plain"), Cow::Borrowed(_)));
        // Whatever has no spelling still comes out ASCII.
        assert_eq!(fold("猫 ß"), "? ?");
        assert!(fold("🦜 ␣ ⏎ ▁").is_ascii());
    }

    #[test]
    fn one_cell_stays_one_cell() {
        for c in "·×−√≈‖…ᵀ²₃␣⏎▁│─█▶⣿é猫".chars() {
            let f = fold_char(c);
            assert!(f.is_ascii() && !f.is_ascii_control(), "{c} -> {f:?}");
        }
        assert_eq!(fold_char('²'), '2');
        assert_eq!(fold_char('│'), '|');
        assert_eq!(fold_char('a'), 'a');
    }
}
