//! Dates spoken in Spanish, resolved against today.
//!
//! Every resolved date is today or later: a caller promising a payment or asking for a
//! call never means a past day, so "el día veinte" said on the 25th is next month's 20th.

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

use super::numbers::{chunk_at, chunks};

/// A date found in an utterance and the tokens it used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundDate {
    /// The resolved date.
    pub date: NaiveDate,
    /// Indices of the tokens that express it, so they are not read again as numbers.
    pub tokens: Vec<usize>,
}

/// Finds the first date expression in `tokens`, trying the most specific forms first.
pub fn find(tokens: &[String], today: NaiveDate) -> Option<FoundDate> {
    let finders: [&dyn Fn() -> Option<FoundDate>; 7] = [
        &|| find_day_of_month(tokens, today),
        &|| find_offset(tokens, today),
        &|| find_month_edge(tokens, today),
        &|| find_next_week(tokens, today),
        &|| find_weekday(tokens, today),
        &|| find_tomorrow(tokens, today),
        &|| find_word(tokens, "hoy").map(|i| found(today, i..i + 1)),
    ];
    finders.iter().find_map(|finder| finder())
}

fn found(date: NaiveDate, tokens: std::ops::Range<usize>) -> FoundDate {
    FoundDate { date, tokens: tokens.collect() }
}

fn find_word(tokens: &[String], word: &str) -> Option<usize> {
    tokens.iter().position(|token| token == word)
}

fn token_is(tokens: &[String], i: usize, words: &[&str]) -> bool {
    tokens.get(i).is_some_and(|token| words.contains(&token.as_str()))
}

/// Month number for a month name, 1 to 12.
fn month_number(token: &str) -> Option<u32> {
    let months = [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ];
    if token == "setiembre" {
        return Some(9);
    }
    months.iter().position(|month| *month == token).map(|i| i as u32 + 1)
}

fn last_day_of_month(year: i32, month: u32) -> Option<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
    first.checked_add_months(Months::new(1))?.pred_opt()
}

/// "el quince de enero", "el día veinte", "el uno de marzo de dos mil veintisiete", "el
/// viernes quince" and a bare "el quince". A day the month lacks ("el treinta de febrero")
/// gives no date.
fn find_day_of_month(tokens: &[String], today: NaiveDate) -> Option<FoundDate> {
    // Whole chunks only, so "treinta y dos" is not read as "dos".
    let mut candidates: Vec<(u64, usize, usize)> = chunks(tokens, &[])
        .into_iter()
        .filter(|chunk| chunk.decimal_cents.is_none())
        .map(|chunk| (chunk.value, chunk.start, chunk.end))
        .collect();
    let firsts = tokens.iter().enumerate().filter(|(_, token)| *token == "primero");
    candidates.extend(firsts.map(|(i, _)| (1, i, i + 1)));
    candidates.sort_by_key(|&(_, start, _)| start);

    for (day, start, end) in candidates {
        if !(1..=31).contains(&day) {
            continue;
        }
        let day = day as u32;

        // Words that introduce a day: "el", "día", a weekday, "este", "próximo".
        let mut first = start;
        while first > 0
            && (token_is(tokens, first - 1, &["el", "dia", "este", "proximo"])
                || weekday(&tokens[first - 1]).is_some())
        {
            first -= 1;
        }

        let month = match token_is(tokens, end, &["de", "del"]) {
            true => tokens.get(end + 1).and_then(|token| month_number(token)),
            false => None,
        };
        if let Some(month) = month {
            let (date, last) = resolve_with_month(tokens, end + 2, day, month, today)?;
            return Some(found(date, first..last));
        }
        if first < start {
            return Some(found(resolve_day(day, today)?, first..end));
        }
    }
    None
}

/// Resolves "<day> de <month>", reading an optional "de <year>" from `next`; returns the
/// date and the index one past its last token.
fn resolve_with_month(
    tokens: &[String],
    next: usize,
    day: u32,
    month: u32,
    today: NaiveDate,
) -> Option<(NaiveDate, usize)> {
    if token_is(tokens, next, &["de", "del"]) {
        let year =
            chunk_at(tokens, &[], next + 1).filter(|chunk| (2000..2200).contains(&chunk.value));
        if let Some(year) = year {
            let date = NaiveDate::from_ymd_opt(year.value as i32, month, day)?;
            return Some((date, year.end));
        }
    }

    // The next occurrence: this year, or the first later year that has the day (29 Feb).
    let date = (0..=8)
        .filter_map(|offset| NaiveDate::from_ymd_opt(today.year() + offset, month, day))
        .find(|date| *date >= today)?;
    Some((date, next))
}

/// Resolves a day of the month: this month if still ahead (today included), else next
/// month. A day the month lacks ("el día treinta y uno" in April) becomes its last day.
fn resolve_day(day: u32, today: NaiveDate) -> Option<NaiveDate> {
    let this_month = clamped_day(today.year(), today.month(), day)?;
    if this_month >= today && day >= today.day() {
        return Some(this_month);
    }
    let next = today.with_day(1)?.checked_add_months(Months::new(1))?;
    clamped_day(next.year(), next.month(), day)
}

fn clamped_day(year: i32, month: u32, day: u32) -> Option<NaiveDate> {
    let last = last_day_of_month(year, month)?;
    NaiveDate::from_ymd_opt(year, month, day.min(last.day()))
}

/// "dentro de diez días", "en una semana", "de aquí a dos meses".
fn find_offset(tokens: &[String], today: NaiveDate) -> Option<FoundDate> {
    for start in 0..tokens.len() {
        let count_at = match tokens[start].as_str() {
            "dentro" if token_is(tokens, start + 1, &["de"]) => start + 2,
            "en" => start + 1,
            "aqui" if token_is(tokens, start + 1, &["a"]) => start + 2,
            _ => continue,
        };
        let (count, unit_at) = match tokens.get(count_at).map(String::as_str) {
            Some("un" | "una") => (1, count_at + 1),
            _ => match chunk_at(tokens, &[], count_at) {
                Some(chunk) if chunk.decimal_cents.is_none() => (chunk.value, chunk.end),
                _ => continue,
            },
        };
        let count = u32::try_from(count).ok()?;
        let date = match tokens.get(unit_at).map(String::as_str) {
            Some("dia" | "dias") => today.checked_add_days(Days::new(count.into())),
            Some("semana" | "semanas") => today.checked_add_days(Days::new(7 * u64::from(count))),
            // "en tres meses" more often gives a plan length than a date, so months need
            // "dentro de" or "de aquí a".
            Some("mes" | "meses") if tokens[start] != "en" => {
                today.checked_add_months(Months::new(count))
            }
            _ => continue,
        };
        let first = if tokens[start] == "aqui" && start > 0 && tokens[start - 1] == "de" {
            start - 1
        } else {
            start
        };
        return Some(found(date?, first..unit_at + 1));
    }
    None
}

/// "a final de mes" (the month's last day), "a finales de enero", "a principios de mes"
/// (the next month's first day), "a mediados de mes" (the 15th ahead).
fn find_month_edge(tokens: &[String], today: NaiveDate) -> Option<FoundDate> {
    for start in 0..tokens.len() {
        let edge = match tokens[start].as_str() {
            "final" | "finales" | "fin" => Edge::End,
            "principios" | "principio" | "primeros" => Edge::Start,
            "mediados" => Edge::Middle,
            _ => continue,
        };
        if !token_is(tokens, start + 1, &["de", "del"]) {
            continue;
        }
        let first = if start > 0 && token_is(tokens, start - 1, &["a", "al", "para"]) {
            start - 1
        } else {
            start
        };
        // "no llego a fin de mes" speaks of making ends meet, not of a date.
        if first > 0 && token_is(tokens, first - 1, &["llego", "llegamos", "llega"]) {
            continue;
        }
        let mut end = start + 2;
        if token_is(tokens, end, &["este", "esta"]) {
            end += 1;
        }
        let month = match tokens.get(end).map(String::as_str) {
            Some("mes") => None,
            Some(token) => match month_number(token) {
                Some(month) => Some(month),
                None => continue,
            },
            None => continue,
        };
        let date = resolve_edge(edge, month, today)?;
        return Some(found(date, first..end + 1));
    }
    None
}

#[derive(Debug, Clone, Copy)]
enum Edge {
    Start,
    Middle,
    End,
}

fn resolve_edge(edge: Edge, month: Option<u32>, today: NaiveDate) -> Option<NaiveDate> {
    match (edge, month) {
        (Edge::End, None) => last_day_of_month(today.year(), today.month()),
        (Edge::Start, None) => today.with_day(1)?.checked_add_months(Months::new(1)),
        (Edge::Middle, None) => resolve_day(15, today),
        (edge, Some(month)) => {
            let day_of = |year: i32| match edge {
                Edge::Start => NaiveDate::from_ymd_opt(year, month, 1),
                Edge::Middle => NaiveDate::from_ymd_opt(year, month, 15),
                Edge::End => last_day_of_month(year, month),
            };
            let this_year = day_of(today.year())?;
            if this_year >= today { Some(this_year) } else { day_of(today.year() + 1) }
        }
    }
}

/// "la semana que viene", "la próxima semana", "la semana próxima": a week from today.
fn find_next_week(tokens: &[String], today: NaiveDate) -> Option<FoundDate> {
    let patterns: [&[&str]; 4] = [
        &["semana", "que", "viene"],
        &["proxima", "semana"],
        &["semana", "proxima"],
        &["semana", "siguiente"],
    ];
    for start in 0..tokens.len() {
        for pattern in patterns {
            let words = tokens.get(start..start + pattern.len());
            if words.is_some_and(|words| words.iter().zip(pattern).all(|(a, b)| a == b)) {
                let date = today.checked_add_days(Days::new(7))?;
                return Some(found(date, start..start + pattern.len()));
            }
        }
    }
    None
}

fn weekday(token: &str) -> Option<Weekday> {
    let weekday = match token {
        "lunes" => Weekday::Mon,
        "martes" => Weekday::Tue,
        "miercoles" => Weekday::Wed,
        "jueves" => Weekday::Thu,
        "viernes" => Weekday::Fri,
        "sabado" => Weekday::Sat,
        "domingo" => Weekday::Sun,
        _ => return None,
    };
    Some(weekday)
}

/// "el viernes", "el próximo lunes", "el lunes que viene": the next such day after today.
fn find_weekday(tokens: &[String], today: NaiveDate) -> Option<FoundDate> {
    let start = tokens.iter().position(|token| weekday(token).is_some())?;
    let target = weekday(&tokens[start])?;
    let ahead = (7 + target.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    let ahead = if ahead == 0 { 7 } else { ahead };
    let date = today.checked_add_days(Days::new(ahead.into()))?;

    let mut first = start;
    while first > 0 && token_is(tokens, first - 1, &["el", "este", "proximo", "para"]) {
        first -= 1;
    }
    let end = if tokens.get(start + 1..start + 3).is_some_and(|words| words == ["que", "viene"]) {
        start + 3
    } else {
        start + 1
    };
    Some(found(date, first..end))
}

/// "mañana" (not "por la mañana" or "esta mañana") and "pasado mañana".
fn find_tomorrow(tokens: &[String], today: NaiveDate) -> Option<FoundDate> {
    for (i, token) in tokens.iter().enumerate() {
        // Vosk writes "mañana"; a transcript typed without the ñ has "manana".
        if token != "mañana" && token != "manana" {
            continue;
        }
        if i > 0 && token_is(tokens, i - 1, &["pasado"]) {
            return Some(found(today.checked_add_days(Days::new(2))?, i - 1..i + 1));
        }
        if i > 0 && token_is(tokens, i - 1, &["la", "esta"]) {
            continue;
        }
        return Some(found(today.checked_add_days(Days::new(1))?, i..i + 1));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("test date is valid")
    }

    fn resolve(text: &str, today: &str) -> Option<NaiveDate> {
        let tokens: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
        find(&tokens, date(today)).map(|found| found.date)
    }

    #[test]
    fn day_and_month_roll_into_next_year() {
        assert_eq!(resolve("el quince de enero", "2026-12-20"), Some(date("2027-01-15")));
        assert_eq!(resolve("el veinte de diciembre", "2026-12-20"), Some(date("2026-12-20")));
        assert_eq!(resolve("el veintinueve de febrero", "2026-03-01"), Some(date("2028-02-29")));
    }

    #[test]
    fn day_alone_clamps_to_month_end() {
        assert_eq!(resolve("el dia treinta y uno", "2027-04-10"), Some(date("2027-04-30")));
        assert_eq!(resolve("el dia cinco", "2027-12-20"), Some(date("2028-01-05")));
    }

    #[test]
    fn month_edges_follow_the_calendar() {
        assert_eq!(resolve("a final de mes", "2028-02-03"), Some(date("2028-02-29")));
        assert_eq!(resolve("a principios de mes", "2027-12-03"), Some(date("2028-01-01")));
        assert_eq!(resolve("a finales de enero", "2027-02-03"), Some(date("2028-01-31")));
    }

    #[test]
    fn weekday_is_strictly_ahead() {
        // 2027-01-15 is a Friday.
        assert_eq!(resolve("el viernes", "2027-01-15"), Some(date("2027-01-22")));
        assert_eq!(resolve("el sabado", "2027-01-15"), Some(date("2027-01-16")));
    }

    #[test]
    fn morning_is_not_tomorrow() {
        assert_eq!(resolve("esta mañana", "2027-01-15"), None);
        assert_eq!(resolve("mañana por la mañana", "2027-01-15"), Some(date("2027-01-16")));
    }
}
