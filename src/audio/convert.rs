//! The `recobra audio convert` operator command: turns an audio file into the forms a call uses
//! (G.711 at 8 kHz for the telephony platform, 16-bit PCM at 8 or 16 kHz).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};

use super::decode::decode_file_to_rate;
use super::g711::{G711Law, encode_into};

/// Arguments of `recobra audio convert`.
#[derive(Debug, Clone, Args)]
pub struct ConvertArgs {
    /// Input audio file: WAV, FLAC, Ogg Vorbis or MP3, at any sample rate and channel count.
    pub input: PathBuf,

    /// Output file. For mulaw8k and alaw8k, a name ending in .wav gets a WAV header, and any
    /// other name gets headerless G.711 bytes as a telephony media stream carries them.
    pub output: PathBuf,

    /// Output format: mono at 8000 Hz G.711 mu-law or A-law, or 16-bit PCM WAV at 8000 or
    /// 16000 Hz.
    #[arg(long, value_enum)]
    pub to: TargetFormat,
}

/// Output format of `recobra audio convert`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TargetFormat {
    /// G.711 mu-law at 8000 Hz.
    #[value(name = "mulaw8k")]
    Mulaw8k,
    /// G.711 A-law at 8000 Hz.
    #[value(name = "alaw8k")]
    Alaw8k,
    /// 16-bit PCM WAV at 8000 Hz.
    #[value(name = "pcm8k")]
    Pcm8k,
    /// 16-bit PCM WAV at 16000 Hz.
    #[value(name = "pcm16k")]
    Pcm16k,
}

impl TargetFormat {
    fn sample_rate(self) -> u32 {
        match self {
            Self::Pcm16k => 16000,
            Self::Mulaw8k | Self::Alaw8k | Self::Pcm8k => 8000,
        }
    }
}

/// Converts `args.input` to `args.output` and prints a one-line summary to stdout.
pub fn run_convert(args: &ConvertArgs) -> anyhow::Result<()> {
    let rate_hz = args.to.sample_rate();
    let samples = decode_file_to_rate(&args.input, rate_hz)?;

    let written_as = match args.to {
        TargetFormat::Pcm8k | TargetFormat::Pcm16k => {
            write_pcm_wav(&args.output, rate_hz, &samples)?;
            format!("16-bit PCM WAV, {rate_hz} Hz mono")
        }
        TargetFormat::Mulaw8k => write_g711(&args.output, G711Law::Mulaw, &samples)?,
        TargetFormat::Alaw8k => write_g711(&args.output, G711Law::Alaw, &samples)?,
    };

    let duration_s = samples.len() as f64 / f64::from(rate_hz);
    println!(
        "{} -> {}: {duration_s:.2} s, {} samples, {written_as}",
        args.input.display(),
        args.output.display(),
        samples.len()
    );
    Ok(())
}

fn write_pcm_wav(path: &Path, rate_hz: u32, samples: &[i16]) -> anyhow::Result<()> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate_hz,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let failed = || format!("failed to write WAV file {}", path.display());

    let mut writer = hound::WavWriter::create(path, spec).with_context(failed)?;
    for &sample in samples {
        writer.write_sample(sample).with_context(failed)?;
    }
    writer.finalize().with_context(failed)?;
    Ok(())
}

/// Encodes `samples` (at 8000 Hz) as G.711 into `path`, as WAV when the name ends in .wav and
/// as raw bytes otherwise. Returns a description of what was written.
fn write_g711(path: &Path, law: G711Law, samples: &[i16]) -> anyhow::Result<String> {
    let mut codes = Vec::with_capacity(samples.len());
    encode_into(law, samples, &mut codes);
    let law_name = match law {
        G711Law::Mulaw => "mu-law",
        G711Law::Alaw => "A-law",
    };

    let is_wav = path
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("wav"));
    let file =
        File::create(path).with_context(|| format!("failed to create {}", path.display()))?;
    let mut out = BufWriter::new(file);
    if is_wav {
        write_g711_wav(&mut out, law, 8000, &codes)
            .with_context(|| format!("failed to write WAV file {}", path.display()))?;
    } else {
        out.write_all(&codes)
            .with_context(|| format!("failed to write {}", path.display()))?;
    }
    out.flush()
        .with_context(|| format!("failed to write {}", path.display()))?;

    Ok(if is_wav {
        format!("G.711 {law_name} WAV, 8000 Hz mono")
    } else {
        format!("headerless G.711 {law_name}, 8000 Hz mono")
    })
}

/// Writes a mono G.711 WAV file (format tag 7 for mu-law, 6 for A-law) containing `codes`.
///
/// hound 3.5 writes only PCM and IEEE float WAV, so this small header is written by hand. The
/// layout follows the RIFF WAVE rules for non-PCM data: an 18-byte `fmt ` chunk with a zero
/// extension size, a `fact` chunk with the frame count, and the `data` chunk padded to an even
/// length.
pub fn write_g711_wav(
    out: &mut impl Write,
    law: G711Law,
    rate_hz: u32,
    codes: &[u8],
) -> io::Result<()> {
    const FMT_CHUNK_LEN: u32 = 18;
    const FACT_CHUNK_LEN: u32 = 4;
    let format_tag: u16 = match law {
        G711Law::Mulaw => 7,
        G711Law::Alaw => 6,
    };

    let too_long = || {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "audio too long for a WAV file (over 4 GiB)",
        )
    };
    let data_len = u32::try_from(codes.len()).map_err(|_| too_long())?;
    let padding = data_len % 2;
    let riff_len = (4 + 8 + FMT_CHUNK_LEN + 8 + FACT_CHUNK_LEN + 8)
        .checked_add(data_len + padding)
        .ok_or_else(too_long)?;

    out.write_all(b"RIFF")?;
    out.write_all(&riff_len.to_le_bytes())?;
    out.write_all(b"WAVE")?;

    out.write_all(b"fmt ")?;
    out.write_all(&FMT_CHUNK_LEN.to_le_bytes())?;
    out.write_all(&format_tag.to_le_bytes())?;
    out.write_all(&1u16.to_le_bytes())?; // channels
    out.write_all(&rate_hz.to_le_bytes())?; // frames per second
    out.write_all(&rate_hz.to_le_bytes())?; // bytes per second: one byte per frame
    out.write_all(&1u16.to_le_bytes())?; // block alignment in bytes
    out.write_all(&8u16.to_le_bytes())?; // bits per sample
    out.write_all(&0u16.to_le_bytes())?; // extension size

    out.write_all(b"fact")?;
    out.write_all(&FACT_CHUNK_LEN.to_le_bytes())?;
    out.write_all(&data_len.to_le_bytes())?;

    out.write_all(b"data")?;
    out.write_all(&data_len.to_le_bytes())?;
    out.write_all(codes)?;
    if padding == 1 {
        out.write_all(&[0])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g711_wav_pads_odd_data() {
        let codes = [0xFF, 0x00, 0x7F];
        let mut bytes = Vec::new();

        write_g711_wav(&mut bytes, G711Law::Mulaw, 8000, &codes).unwrap();

        assert_eq!(bytes.len(), 58 + 4, "header, 3 data bytes and 1 pad byte");
        assert_eq!(u32::from_le_bytes(bytes[4..8].try_into().unwrap()), 54);
        assert_eq!(
            u32::from_le_bytes(bytes[54..58].try_into().unwrap()),
            3,
            "data length excludes the pad byte"
        );
        assert_eq!(&bytes[58..61], &codes);
        assert_eq!(bytes[61], 0);
    }

    #[test]
    fn g711_wav_even_data_has_no_pad() {
        let mut bytes = Vec::new();

        write_g711_wav(&mut bytes, G711Law::Alaw, 8000, &[0xD5; 4]).unwrap();

        assert_eq!(bytes.len(), 58 + 4);
        assert_eq!(
            u16::from_le_bytes([bytes[20], bytes[21]]),
            6,
            "A-law format tag"
        );
    }
}
