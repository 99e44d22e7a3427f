//! Reading the values in an utterance: a date, an amount, a number or a digit string.

use chrono::NaiveDate;

use super::numbers::Chunk;
use super::{amounts, dates, numbers};

/// Nouns that make a lone "un" or "una" a count ("una cuota") rather than an article
/// ("una persona").
#[rustfmt::skip]
const COUNTED_NOUNS: &[&str] = &[
    "plazo", "plazos", "cuota", "cuotas", "mes", "meses", "euro", "euros", "centimo",
    "centimos", "semana", "semanas", "dia", "dias", "año", "años", "mensualidad",
    "mensualidades", "pago", "pagos",
];

/// Ordinals accepted as a menu option ("la segunda").
#[rustfmt::skip]
const ORDINALS: &[(&str, i64)] = &[
    ("primera", 1), ("primero", 1), ("primer", 1), ("segunda", 2), ("segundo", 2),
    ("tercera", 3), ("tercero", 3), ("tercer", 3), ("cuarta", 4), ("cuarto", 4),
    ("quinta", 5), ("quinto", 5), ("sexta", 6), ("sexto", 6), ("septima", 7),
    ("septimo", 7), ("octava", 8), ("octavo", 8), ("novena", 9), ("noveno", 9),
];

/// The values read from one utterance.
#[derive(Debug, Default)]
pub struct Slots {
    pub number: Option<i64>,
    pub digits: Option<String>,
    pub amount_cents: Option<i64>,
    pub date: Option<NaiveDate>,
}

/// Reads the date, then the amount, then numbers or digits from what is left.
pub fn read(tokens: &[String], expecting: Option<&str>, today: NaiveDate) -> Slots {
    let mut slots = Slots::default();
    let mut used = vec![false; tokens.len()];

    // Under these questions a number is the answer, never a day ("el uno" is option 1).
    let numeric_answer = matches!(expecting, Some("identity_digits" | "menu"));
    let count_answer = matches!(expecting, Some("instalment_count" | "satisfaction"));

    if !numeric_answer && !count_answer {
        if let Some(found) = dates::find(tokens, today) {
            slots.date = Some(found.date);
            for i in found.tokens {
                used[i] = true;
            }
        }
    }

    let mut chunks: Vec<Chunk> = numbers::chunks(tokens, &used)
        .into_iter()
        .filter(|chunk| !is_article(tokens, chunk))
        .collect();

    if !numeric_answer {
        if let Some(amount) = amounts::find(tokens, &chunks) {
            slots.amount_cents = Some(amount.cents);
            chunks.retain(|chunk| chunk.start < amount.start || chunk.start >= amount.end);
        }
    }

    match expecting {
        Some("identity_digits") => {
            let digits: String = chunks.iter().map(|chunk| chunk.digits.as_str()).collect();
            slots.digits = (!digits.is_empty()).then_some(digits);
        }
        Some("menu") => {
            slots.number = menu_option(tokens, &chunks);
            slots.digits = slots.number.filter(|n| (0..=9).contains(n)).map(|n| n.to_string());
        }
        _ => read_number_or_digits(&chunks, &mut slots),
    }
    slots
}

/// Checks whether a lone "un" or "una" is an article. It is a count only before a counted
/// noun or at the end of the utterance, so "le doy un cuatro" gives 4.
fn is_article(tokens: &[String], chunk: &Chunk) -> bool {
    let lone = chunk.end == chunk.start + 1 && matches!(tokens[chunk.start].as_str(), "un" | "una");
    let next = tokens.get(chunk.end).map(String::as_str);
    lone && next.is_some_and(|next| !COUNTED_NOUNS.contains(&next))
}

/// Returns the option chosen in a menu: the first digit, else the first number, else the
/// first ordinal.
fn menu_option(tokens: &[String], chunks: &[Chunk]) -> Option<i64> {
    let digit = chunks.iter().find(|chunk| chunk.value <= 9);
    if let Some(chunk) = digit.or(chunks.first()) {
        return i64::try_from(chunk.value).ok();
    }
    tokens
        .iter()
        .find_map(|token| ORDINALS.iter().find(|(word, _)| word == token))
        .map(|(_, value)| *value)
}

/// Two or more adjacent chunks are a digit string ("cuatro ocho dos uno"); otherwise the
/// first chunk is the number. A numeral written with a leading zero keeps its digits.
fn read_number_or_digits(chunks: &[Chunk], slots: &mut Slots) {
    if let Some(run) = longest_adjacent_run(chunks).filter(|run| run.len() >= 2) {
        slots.digits = Some(run.iter().map(|chunk| chunk.digits.as_str()).collect());
        return;
    }

    let Some(first) = chunks.first() else {
        return;
    };
    slots.number = i64::try_from(first.value).ok();
    if first.digits.len() > 1 && first.digits.starts_with('0') {
        slots.digits = Some(first.digits.clone());
    }
}

fn longest_adjacent_run(chunks: &[Chunk]) -> Option<&[Chunk]> {
    let mut best: Option<&[Chunk]> = None;
    let mut start = 0;

    for i in 1..=chunks.len() {
        let run_ends = i == chunks.len() || chunks[i].start != chunks[i - 1].end;
        if run_ends {
            let run = &chunks[start..i];
            if best.is_none_or(|best| run.len() > best.len()) {
                best = Some(run);
            }
            start = i;
        }
    }
    best
}
