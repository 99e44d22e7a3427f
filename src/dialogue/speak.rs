//! Speaking numbers, amounts and dates in Spanish from recorded clips.
//!
//! Every value is first broken into [`Word`]s, the smallest pieces the catalog records
//! (`prompts/es-ES/values.toml`). A word renders either as its catalog clip id or as its
//! written form, so the words a log or an agent reads and the clips a caller hears come from
//! the same decomposition. The written forms here must match the catalog text; a test
//! checks that for many values.
//!
//! Spanish number grammar is hand-written because the clip ids need the same structure as
//! the words, which a generic number-to-words crate does not expose.

use chrono::{Datelike, NaiveDate};

pub mod cli;

pub use cli::SayArgs;

/// One recorded piece of a spoken value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Word {
    /// A number with a word of its own: 0 to 29, the tens 30 to 90, 100 ("cien") and the
    /// hundreds 200 to 900 in the masculine form.
    Number(u16),
    /// "ciento", 100 followed by more digits.
    Ciento,
    /// "un", the form of 1 before a noun or "mil".
    Un,
    /// "veintiún", the form of 21 before a noun or "mil".
    Veintiun,
    /// "y", between tens and units.
    Y,
    /// "mil".
    Mil,
    /// "millón".
    Millon,
    /// "millones".
    Millones,
    /// "billón" (10^12).
    Billon,
    /// "billones".
    Billones,
    /// "menos", before a negative amount.
    Menos,
    /// "euro".
    Euro,
    /// "euros".
    Euros,
    /// "céntimo".
    Centimo,
    /// "céntimos".
    Centimos,
    /// "con", between euros and cents.
    Con,
    /// "el", before a date.
    El,
    /// "de", in dates and after a round number of millions.
    De,
    /// A month name, 1 (enero) to 12.
    Month(u32),
    /// A weekday name, 1 (lunes) to 7 (domingo), as ISO 8601 numbers them.
    Weekday(u32),
}

impl Word {
    /// Returns the catalog clip id that speaks this word.
    pub fn clip_id(self) -> String {
        match self {
            Word::Number(n) => format!("num.{n}"),
            Word::Ciento => "num.ciento".to_owned(),
            Word::Un => "word.un".to_owned(),
            Word::Veintiun => "word.veintiun".to_owned(),
            Word::Y => "word.y".to_owned(),
            Word::Mil => "word.mil".to_owned(),
            Word::Millon => "word.millon".to_owned(),
            Word::Millones => "word.millones".to_owned(),
            Word::Billon => "word.billon".to_owned(),
            Word::Billones => "word.billones".to_owned(),
            Word::Menos => "word.menos".to_owned(),
            Word::Euro => "word.euro".to_owned(),
            Word::Euros => "word.euros".to_owned(),
            Word::Centimo => "word.centimo".to_owned(),
            Word::Centimos => "word.centimos".to_owned(),
            Word::Con => "word.con".to_owned(),
            Word::El => "word.el".to_owned(),
            Word::De => "word.de".to_owned(),
            Word::Month(m) => format!("month.{m}"),
            Word::Weekday(d) => format!("weekday.{d}"),
        }
    }

    /// Returns the written form, identical to the catalog text of [`Word::clip_id`].
    pub fn text(self) -> &'static str {
        match self {
            Word::Number(n) => number_text(n),
            Word::Ciento => "ciento",
            Word::Un => "un",
            Word::Veintiun => "veintiún",
            Word::Y => "y",
            Word::Mil => "mil",
            Word::Millon => "millón",
            Word::Millones => "millones",
            Word::Billon => "billón",
            Word::Billones => "billones",
            Word::Menos => "menos",
            Word::Euro => "euro",
            Word::Euros => "euros",
            Word::Centimo => "céntimo",
            Word::Centimos => "céntimos",
            Word::Con => "con",
            Word::El => "el",
            Word::De => "de",
            Word::Month(m) => name_at(&MONTHS, m),
            Word::Weekday(d) => name_at(&WEEKDAYS, d),
        }
    }
}

#[rustfmt::skip]
const UNITS: [&str; 30] = [
    "cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve",
    "diez", "once", "doce", "trece", "catorce", "quince", "dieciséis", "diecisiete",
    "dieciocho", "diecinueve", "veinte", "veintiuno", "veintidós", "veintitrés",
    "veinticuatro", "veinticinco", "veintiséis", "veintisiete", "veintiocho", "veintinueve",
];

const TENS: [&str; 7] =
    ["treinta", "cuarenta", "cincuenta", "sesenta", "setenta", "ochenta", "noventa"];

#[rustfmt::skip]
const HUNDREDS: [&str; 8] = [
    "doscientos", "trescientos", "cuatrocientos", "quinientos", "seiscientos", "setecientos",
    "ochocientos", "novecientos",
];

#[rustfmt::skip]
const MONTHS: [&str; 12] = [
    "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
    "octubre", "noviembre", "diciembre",
];

const WEEKDAYS: [&str; 7] =
    ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"];

/// Returns the 1-based `number`th name, or "" when out of range.
fn name_at(names: &[&'static str], number: u32) -> &'static str {
    let index = (number as usize).checked_sub(1);
    index.and_then(|i| names.get(i)).copied().unwrap_or("")
}

/// Written form of a [`Word::Number`]; empty for a value that has no word of its own,
/// which [`number_parts`] never produces.
fn number_text(n: u16) -> &'static str {
    let n = usize::from(n);
    match n {
        0..=29 => UNITS[n],
        30..=90 if n % 10 == 0 => TENS[n / 10 - 3],
        100 => "cien",
        200..=900 if n % 100 == 0 => HUNDREDS[n / 100 - 2],
        _ => "",
    }
}

/// Words for `n`. With `before_noun`, a final 1 takes its short form ("un", "veintiún",
/// "treinta y un"), as before "euros", "mil" or "millones".
pub fn number_parts(n: u64, before_noun: bool) -> Vec<Word> {
    if n == 0 {
        return vec![Word::Number(0)];
    }

    let mut words = Vec::new();
    let billions = n / 1_000_000_000_000;
    let millions = n / 1_000_000 % 1_000_000;
    let rest = n % 1_000_000;

    if billions > 0 {
        push_scale(&mut words, billions, Word::Billon, Word::Billones);
    }
    if millions > 0 {
        push_scale(&mut words, millions, Word::Millon, Word::Millones);
    }
    if rest > 0 {
        push_below_million(&mut words, rest, before_noun);
    }
    words
}

/// Pushes "un millón" or "<count> millones" (likewise for billions).
fn push_scale(words: &mut Vec<Word>, count: u64, singular: Word, plural: Word) {
    if count == 1 {
        words.extend([Word::Un, singular]);
    } else {
        words.extend(number_parts(count, true));
        words.push(plural);
    }
}

/// Pushes the words for 1 to 999 999; 1000 is "mil", never "un mil".
fn push_below_million(words: &mut Vec<Word>, n: u64, before_noun: bool) {
    let thousands = n / 1000;
    let rest = n % 1000;

    if thousands == 1 {
        words.push(Word::Mil);
    } else if thousands > 1 {
        push_below_thousand(words, thousands, true);
        words.push(Word::Mil);
    }
    if rest > 0 {
        push_below_thousand(words, rest, before_noun);
    }
}

/// Pushes the words for 1 to 999: "cien" alone, "ciento" before more digits.
fn push_below_thousand(words: &mut Vec<Word>, n: u64, before_noun: bool) {
    let hundreds = n / 100;
    let rest = n % 100;

    match (hundreds, rest) {
        (1, 0) => words.push(Word::Number(100)),
        (1, _) => words.push(Word::Ciento),
        (0, _) => {}
        (h, _) => words.push(Word::Number(h as u16 * 100)),
    }
    if rest > 0 {
        push_below_hundred(words, rest as u16, before_noun);
    }
}

fn push_below_hundred(words: &mut Vec<Word>, n: u16, before_noun: bool) {
    match n {
        1 if before_noun => words.push(Word::Un),
        21 if before_noun => words.push(Word::Veintiun),
        0..=29 => words.push(Word::Number(n)),
        _ => {
            words.push(Word::Number(n / 10 * 10));
            let unit = n % 10;
            if unit > 0 {
                words.push(Word::Y);
                push_below_hundred(words, unit, before_noun);
            }
        }
    }
}

/// Words for an amount in cents: "doce euros con cincuenta céntimos", "un millón de euros",
/// "cero euros". Cents are spoken only when nonzero; an amount under one euro is spoken in
/// cents alone ("un céntimo").
pub fn amount_parts(cents: i64) -> Vec<Word> {
    let mut words = Vec::new();
    if cents < 0 {
        words.push(Word::Menos);
    }

    let magnitude = cents.unsigned_abs();
    let euros = magnitude / 100;
    let rest = magnitude % 100;

    if euros > 0 || rest == 0 {
        words.extend(number_parts(euros, true));
        // A round number of millions takes "de" before the noun: "dos millones de euros".
        if euros >= 1_000_000 && euros % 1_000_000 == 0 {
            words.push(Word::De);
        }
        words.push(if euros == 1 { Word::Euro } else { Word::Euros });
    }
    if rest > 0 {
        if euros > 0 {
            words.push(Word::Con);
        }
        words.extend(number_parts(rest, true));
        words.push(if rest == 1 { Word::Centimo } else { Word::Centimos });
    }
    words
}

/// Words for a date: "el quince de enero", with the day as a cardinal ("el uno de marzo").
pub fn date_parts(date: NaiveDate) -> Vec<Word> {
    let mut words = vec![Word::El];
    words.extend(number_parts(u64::from(date.day()), false));
    words.extend([Word::De, Word::Month(date.month())]);
    words
}

/// Words for a date with its weekday: "el viernes quince de enero".
pub fn weekday_date_parts(date: NaiveDate) -> Vec<Word> {
    let mut words = vec![Word::El, Word::Weekday(date.weekday().number_from_monday())];
    words.extend(number_parts(u64::from(date.day()), false));
    words.extend([Word::De, Word::Month(date.month())]);
    words
}

/// Joins the written forms of `words` with single spaces.
pub fn join_text(words: &[Word]) -> String {
    words.iter().map(|word| word.text()).collect::<Vec<_>>().join(" ")
}

/// Returns the clip ids of `words`, in order.
pub fn clip_ids(words: &[Word]) -> Vec<String> {
    words.iter().map(|word| word.clip_id()).collect()
}

/// Spells an amount given in cents ("mil doscientos treinta y cuatro euros con cincuenta y
/// seis céntimos").
pub fn amount_words(cents: i64) -> String {
    join_text(&amount_parts(cents))
}

/// Spells a date ("el quince de enero").
pub fn date_words(date: NaiveDate) -> String {
    join_text(&date_parts(date))
}

/// Spells a cardinal number on its own ("veintiuno", "mil uno").
pub fn number_words(n: u64) -> String {
    join_text(&number_parts(n, false))
}

/// Clip ids that speak an amount given in cents ("mil doscientos treinta y cuatro euros con
/// cincuenta y seis céntimos").
pub fn amount_clips(cents: i64) -> Vec<String> {
    clip_ids(&amount_parts(cents))
}

/// Clip ids that speak a date ("el quince de enero").
pub fn date_clips(date: NaiveDate) -> Vec<String> {
    clip_ids(&date_parts(date))
}

/// Clip ids that speak a cardinal number.
pub fn number_clips(n: u64) -> Vec<String> {
    clip_ids(&number_parts(n, false))
}
