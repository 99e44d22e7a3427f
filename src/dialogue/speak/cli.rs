//! `recobra say`: prints how a value is spoken, as words and as catalog clip ids.

use chrono::NaiveDate;
use clap::{Args, Subcommand};

use super::{Word, amount_parts, clip_ids, date_parts, join_text, number_parts};

/// Arguments of `recobra say`.
#[derive(Debug, Args)]
pub struct SayArgs {
    #[command(subcommand)]
    pub value: SayValue,

    /// Also write the spoken clips, joined, to this WAV file (8 kHz, 16-bit mono).
    #[arg(long, global = true, value_name = "FILE")]
    pub wav: Option<std::path::PathBuf>,

    /// Folder of the prompt catalogs the clips come from.
    #[arg(long, global = true, default_value = "prompts", value_name = "DIR")]
    pub prompts_dir: std::path::PathBuf,

    /// Locale of the clips.
    #[arg(long, global = true, default_value = "es-ES")]
    pub locale: String,
}

/// The value to speak.
#[derive(Debug, Subcommand)]
pub enum SayValue {
    /// An amount in euros, with up to two decimals ("1234.56" or "1234,56").
    Amount {
        /// Euros, for example 87.10.
        #[arg(value_parser = parse_euros)]
        cents: i64,
    },
    /// A date, as YYYY-MM-DD.
    Date {
        /// The date, for example 2027-01-15.
        date: NaiveDate,
    },
    /// A cardinal number.
    Number {
        /// The number, for example 21.
        number: u64,
    },
}

/// An amount given on the command line that is not a number of euros.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AmountError {
    /// The text is not digits with an optional decimal part of one or two digits.
    #[error("invalid amount {0:?}: expected euros such as 1234.56 or 1234,56")]
    Invalid(String),
    /// The amount does not fit in 64-bit cents.
    #[error("amount {0:?} is too large")]
    TooLarge(String),
}

/// Parses euros ("1234.56", "1234,56", "-3", "0.5") into cents without going through
/// floating point, so 0.29 stays 29 cents.
pub fn parse_euros(text: &str) -> Result<i64, AmountError> {
    let invalid = || AmountError::Invalid(text.to_owned());
    let (negative, unsigned) = match text.trim().strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.trim()),
    };
    let (whole, fraction) = match unsigned.split_once(['.', ',']) {
        Some((_, "")) => return Err(invalid()),
        Some((whole, fraction)) => (whole, fraction),
        None => (unsigned, ""),
    };

    let all_digits = |part: &str| part.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || !all_digits(whole) || !all_digits(fraction) || fraction.len() > 2 {
        return Err(invalid());
    }

    let too_large = || AmountError::TooLarge(text.to_owned());
    let euros: i64 = whole.parse().map_err(|_| too_large())?;
    let cents: i64 = format!("{fraction:0<2}").parse().map_err(|_| invalid())?;
    let total = euros.checked_mul(100).and_then(|c| c.checked_add(cents)).ok_or_else(too_large)?;
    Ok(if negative { -total } else { total })
}

/// Runs `recobra say`: prints the words on one line and the clip ids on the next.
pub fn run(args: &SayArgs) -> anyhow::Result<()> {
    let words: Vec<Word> = match &args.value {
        SayValue::Amount { cents } => amount_parts(*cents),
        SayValue::Date { date } => date_parts(*date),
        SayValue::Number { number } => number_parts(*number, false),
    };
    println!("{}", join_text(&words));
    let clips = clip_ids(&words);
    println!("clips: {}", clips.join(" "));

    if let Some(path) = &args.wav {
        write_wav(&clips, args, path)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// Joins the clips' decoded audio back to back, as a call plays them, into a WAV file.
fn write_wav(clips: &[String], args: &SayArgs, path: &std::path::Path) -> anyhow::Result<()> {
    use crate::dialogue::Segment;
    use crate::session::call::PromptAudio;
    use anyhow::Context;

    let library = crate::prompts::library::PromptLibrary::load(&args.prompts_dir, &args.locale, None)?;
    let spec = hound::WavSpec { channels: 1, sample_rate: 8000, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut writer = hound::WavWriter::create(path, spec).with_context(|| format!("failed to create {}", path.display()))?;
    for clip in clips {
        let audio = library
            .segment_audio(&Segment::Clip(clip.clone()))
            .with_context(|| format!("clip {clip} has no audio; run `recobra prompts render`"))?;
        for sample in audio.iter() {
            writer.write_sample(*sample)?;
        }
    }
    writer.finalize()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_euros_accepts_decimal_forms() {
        assert_eq!(parse_euros("1234.56"), Ok(123_456));
        assert_eq!(parse_euros("1234,56"), Ok(123_456));
        assert_eq!(parse_euros("87.1"), Ok(8_710));
        assert_eq!(parse_euros("0.29"), Ok(29));
        assert_eq!(parse_euros("30"), Ok(3_000));
        assert_eq!(parse_euros("-2.5"), Ok(-250));
    }

    #[test]
    fn parse_euros_rejects_bad_text() {
        for text in ["", "abc", "1.234.56", "1.234", "12.", ".5", "1e3", "--1"] {
            let result = parse_euros(text);
            assert!(result.is_err(), "{text:?} gave {result:?}");
        }
        assert_eq!(
            parse_euros("99999999999999999999"),
            Err(AmountError::TooLarge("99999999999999999999".to_owned()))
        );
    }
}
