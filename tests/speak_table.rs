//! Spoken Spanish for numbers, amounts and dates, checked against expected words and
//! against the clip catalog in prompts/es-ES/values.toml.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use recobra::dialogue::speak::{
    amount_clips, amount_words, clip_ids, date_clips, date_words, join_text, number_clips,
    number_words, weekday_date_parts,
};

/// Loads the clip id to text map from the es-ES values catalog.
fn catalog() -> BTreeMap<String, String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/prompts/es-ES/values.toml");
    let text = std::fs::read_to_string(path).expect("values.toml is readable");
    toml::from_str(&text).expect("values.toml maps clip ids to strings")
}

/// Joins the catalog text of `clips`, or lists the ids missing from the catalog.
fn spoken_text(catalog: &BTreeMap<String, String>, clips: &[String]) -> Result<String, String> {
    let missing: Vec<&String> = clips.iter().filter(|id| !catalog.contains_key(*id)).collect();
    if !missing.is_empty() {
        return Err(format!("clip ids missing from values.toml: {missing:?}"));
    }
    let texts: Vec<&str> = clips.iter().map(|id| catalog[id].as_str()).collect();
    Ok(texts.join(" "))
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("test date is valid")
}

#[test]
fn number_words_table() {
    let table: &[(u64, &str)] = &[
        (0, "cero"),
        (1, "uno"),
        (15, "quince"),
        (16, "dieciséis"),
        (21, "veintiuno"),
        (22, "veintidós"),
        (23, "veintitrés"),
        (30, "treinta"),
        (31, "treinta y uno"),
        (99, "noventa y nueve"),
        (100, "cien"),
        (101, "ciento uno"),
        (121, "ciento veintiuno"),
        (200, "doscientos"),
        (500, "quinientos"),
        (700, "setecientos"),
        (900, "novecientos"),
        (999, "novecientos noventa y nueve"),
        (1000, "mil"),
        (1001, "mil uno"),
        (1100, "mil cien"),
        (2000, "dos mil"),
        (21_000, "veintiún mil"),
        (31_000, "treinta y un mil"),
        (100_000, "cien mil"),
        (101_000, "ciento un mil"),
        (200_001, "doscientos mil uno"),
        (1_000_000, "un millón"),
        (1_000_001, "un millón uno"),
        (2_000_000, "dos millones"),
        (21_000_000, "veintiún millones"),
        (1_000_000_000, "mil millones"),
        (
            999_999_999,
            "novecientos noventa y nueve millones novecientos noventa y nueve mil novecientos noventa y nueve",
        ),
        (2_000_000_000_000, "dos billones"),
    ];

    let failures: Vec<String> = table
        .iter()
        .filter(|(n, expected)| number_words(*n) != *expected)
        .map(|(n, expected)| format!("{n}: expected {expected:?}, got {:?}", number_words(*n)))
        .collect();
    assert!(failures.is_empty(), "number rows failing:\n{}", failures.join("\n"));
}

#[test]
fn amount_words_table() {
    let table: &[(i64, &str)] = &[
        (0, "cero euros"),
        (1, "un céntimo"),
        (50, "cincuenta céntimos"),
        (100, "un euro"),
        (101, "un euro con un céntimo"),
        (1_250, "doce euros con cincuenta céntimos"),
        (2_100, "veintiún euros"),
        (3_000, "treinta euros"),
        (8_710, "ochenta y siete euros con diez céntimos"),
        (10_000, "cien euros"),
        (12_050, "ciento veinte euros con cincuenta céntimos"),
        (123_456, "mil doscientos treinta y cuatro euros con cincuenta y seis céntimos"),
        (100_100, "mil un euros"),
        (2_100_000, "veintiún mil euros"),
        (100_000_000, "un millón de euros"),
        (300_000_000, "tres millones de euros"),
        (100_050_000, "un millón quinientos euros"),
        (
            99_999_999_999,
            "novecientos noventa y nueve millones novecientos noventa y nueve mil novecientos noventa y nueve euros con noventa y nueve céntimos",
        ),
        (-2_500, "menos veinticinco euros"),
    ];

    let failures: Vec<String> = table
        .iter()
        .filter(|(cents, expected)| amount_words(*cents) != *expected)
        .map(|(cents, expected)| {
            format!("{cents}: expected {expected:?}, got {:?}", amount_words(*cents))
        })
        .collect();
    assert!(failures.is_empty(), "amount rows failing:\n{}", failures.join("\n"));
}

#[test]
fn date_words_table() {
    let table: &[(&str, &str)] = &[
        ("2027-01-15", "el quince de enero"),
        ("2027-03-01", "el uno de marzo"),
        ("2027-02-21", "el veintiuno de febrero"),
        ("2027-05-31", "el treinta y uno de mayo"),
        ("2026-09-16", "el dieciséis de septiembre"),
        ("2026-12-22", "el veintidós de diciembre"),
    ];
    assert_eq!(join_text(&weekday_date_parts(date("2027-01-15"))), "el viernes quince de enero");

    let failures: Vec<String> = table
        .iter()
        .filter(|(day, expected)| date_words(date(day)) != *expected)
        .map(|(day, expected)| {
            format!("{day}: expected {expected:?}, got {:?}", date_words(date(day)))
        })
        .collect();
    assert!(failures.is_empty(), "date rows failing:\n{}", failures.join("\n"));
}

/// Amounts to check clip by clip: every cent to 10 euros, then a spread up to the maximum.
fn sample_amounts() -> Vec<i64> {
    let mut amounts: Vec<i64> = (0..=1_000).collect();
    let mut value: i64 = 1_001;
    while value <= 99_999_999_999 {
        amounts.push(value);
        value = value * 7 / 5 + 13;
    }
    amounts.extend([2_100, 100_100, 2_100_000, 100_000_000, 99_999_999_999, -1]);
    amounts
}

#[test]
fn amount_clips_match_words() {
    let catalog = catalog();
    let mut failures = Vec::new();

    for cents in sample_amounts() {
        let spoken = spoken_text(&catalog, &amount_clips(cents));
        if spoken.as_deref() != Ok(amount_words(cents).as_str()) {
            failures.push(format!("{cents}: words {:?}, clips {spoken:?}", amount_words(cents)));
        }
    }
    assert!(failures.is_empty(), "amounts whose clips differ:\n{}", failures.join("\n"));
}

#[test]
fn number_clips_match_words() {
    let catalog = catalog();
    let mut numbers: Vec<u64> = (0..=2_100).collect();
    numbers.extend((0..40).map(|i| 1_u64 << i));
    numbers.extend([21_000, 1_000_000, 1_000_000_000, 999_999_999, 3_000_000_000_000]);
    let mut failures = Vec::new();

    for n in numbers {
        let spoken = spoken_text(&catalog, &number_clips(n));
        if spoken.as_deref() != Ok(number_words(n).as_str()) {
            failures.push(format!("{n}: words {:?}, clips {spoken:?}", number_words(n)));
        }
    }
    assert!(failures.is_empty(), "numbers whose clips differ:\n{}", failures.join("\n"));
}

#[test]
fn date_clips_match_words() {
    let catalog = catalog();
    let first = date("2028-01-01");
    let mut failures = Vec::new();

    // Every day of a leap year covers each day number and month.
    for offset in 0..366 {
        let day = first + Days::new(offset);
        let spoken = spoken_text(&catalog, &date_clips(day));
        if spoken.as_deref() != Ok(date_words(day).as_str()) {
            failures.push(format!("{day}: words {:?}, clips {spoken:?}", date_words(day)));
        }

        let with_weekday = weekday_date_parts(day);
        let spoken = spoken_text(&catalog, &clip_ids(&with_weekday));
        if spoken.as_deref() != Ok(join_text(&with_weekday).as_str()) {
            failures.push(format!("{day} with weekday: clips {spoken:?}"));
        }
    }
    assert!(failures.is_empty(), "dates whose clips differ:\n{}", failures.join("\n"));
}

#[test]
fn catalog_text_uses_accents() {
    let catalog = catalog();
    let expected = [
        ("num.16", "dieciséis"),
        ("num.23", "veintitrés"),
        ("word.millon", "millón"),
        ("word.centimos", "céntimos"),
        ("word.veintiun", "veintiún"),
        ("weekday.3", "miércoles"),
        ("weekday.6", "sábado"),
    ];
    for (id, text) in expected {
        assert_eq!(catalog.get(id).map(String::as_str), Some(text), "clip {id}");
    }
}

#[test]
fn say_writes_joined_wav() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("amount.wav");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_recobra"))
        .args(["say", "amount", "87.10", "--wav"])
        .arg(&wav)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("recobra runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));

    let reader = hound::WavReader::open(&wav).expect("a WAV file");
    assert_eq!(reader.spec().sample_rate, 8000);
    assert_eq!(reader.spec().channels, 1);
    let seconds = reader.duration() as f32 / 8000.0;
    // "ochenta y siete euros con diez céntimos": six clips, trimmed for joining.
    assert!((1.5..6.0).contains(&seconds), "{seconds} s");
}
