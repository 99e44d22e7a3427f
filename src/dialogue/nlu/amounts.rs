//! Amounts of money spoken in Spanish: "ciento veinte euros con cincuenta", "ochenta y siete
//! con diez", "treinta euros", "cincuenta céntimos", "12,50".

use super::numbers::Chunk;

const EURO_WORDS: &[&str] = &["euro", "euros", "eur", "pavos"];
const CENT_WORDS: &[&str] = &["centimo", "centimos", "centimito", "centimitos", "centavos"];

/// An amount found in an utterance and the tokens it used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundAmount {
    /// The amount, in cents.
    pub cents: i64,
    /// Index of the first token.
    pub start: usize,
    /// Index one past the last token.
    pub end: usize,
}

fn token_is(tokens: &[String], i: usize, words: &[&str]) -> bool {
    tokens.get(i).is_some_and(|token| words.contains(&token.as_str()))
}

/// Finds the first amount among `chunks` (already split from `tokens`, in order).
pub fn find(tokens: &[String], chunks: &[Chunk]) -> Option<FoundAmount> {
    for (index, chunk) in chunks.iter().enumerate() {
        let next_chunk = chunks.get(index + 1);
        let found = match chunk.decimal_cents {
            Some(cents) => Some(decimal(tokens, chunk, cents)),
            None => words_amount(tokens, chunk, next_chunk),
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// "12,50" with an optional "euros" after it.
fn decimal(tokens: &[String], chunk: &Chunk, cents: u64) -> FoundAmount {
    let end = if token_is(tokens, chunk.end, EURO_WORDS) { chunk.end + 1 } else { chunk.end };
    FoundAmount { cents: to_cents(chunk.value, cents), start: chunk.start, end }
}

fn to_cents(euros: u64, cents: u64) -> i64 {
    let total = euros.saturating_mul(100).saturating_add(cents);
    i64::try_from(total).unwrap_or(i64::MAX)
}

/// Reads an amount in words that starts with `chunk`: "<n> euros [con] [<c> [céntimos]]",
/// "<n> con <c> [euros|céntimos]" or "<c> céntimos".
fn words_amount(tokens: &[String], chunk: &Chunk, next: Option<&Chunk>) -> Option<FoundAmount> {
    // A round number of millions takes "de": "un millón de euros".
    let round_millions = chunk.value >= 1_000_000 && chunk.value % 1_000_000 == 0;
    let euros_at = if round_millions && token_is(tokens, chunk.end, &["de"]) {
        chunk.end + 1
    } else {
        chunk.end
    };
    let euros_word = token_is(tokens, euros_at, EURO_WORDS);
    let cents_word = token_is(tokens, chunk.end, CENT_WORDS);

    if cents_word && chunk.value < 100 {
        let end = chunk.end + 1;
        return Some(FoundAmount { cents: to_cents(0, chunk.value), start: chunk.start, end });
    }

    let after_euros = if euros_word { euros_at + 1 } else { chunk.end };
    let con = token_is(tokens, after_euros, &["con"])
        || (euros_word && token_is(tokens, after_euros, &["y"]));
    let cents_at = if con { after_euros + 1 } else { after_euros };
    // Without "con", a number after "euros" is cents only where it ends the utterance or
    // comes before "céntimos": in "cien euros tres meses" it counts months.
    let cents = next.filter(|cents| {
        let ends_amount = cents.end == tokens.len() || token_is(tokens, cents.end, CENT_WORDS);
        cents.start == cents_at && cents.value < 100 && (con || ends_amount)
    });

    match cents {
        // Without "euros", only "con" marks the second number as cents ("ochenta y siete
        // con diez"); two bare numbers are more likely digits.
        Some(cents) if euros_word || con => {
            let mut end = cents.end;
            if token_is(tokens, end, CENT_WORDS)
                || (!euros_word && token_is(tokens, end, EURO_WORDS))
            {
                end += 1;
            }
            Some(FoundAmount { cents: to_cents(chunk.value, cents.value), start: chunk.start, end })
        }
        _ if euros_word => Some(FoundAmount {
            cents: to_cents(chunk.value, 0),
            start: chunk.start,
            end: after_euros,
        }),
        _ => None,
    }
}
