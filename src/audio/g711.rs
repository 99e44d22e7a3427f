//! G.711 mu-law and A-law, the 8-bit companded codecs that telephony media streams carry.
//!
//! The coding follows the Sun Microsystems reference `g711.c`, in the variant that CPython's
//! `audioop` module uses: mu-law encodes the top 14 bits of a 16-bit sample and A-law the top
//! 13 bits. The tests compare every code and every i16 sample with tables written by Python
//! 3.11's `audioop`. No maintained crate offers this with lookup tables and bit-exact
//! reference output, so the codec is written here. All tables are built at compile time.

/// The companding law of a G.711 stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum G711Law {
    /// mu-law (PCMU), used in North America and Japan, and by Twilio Media Streams.
    Mulaw,
    /// A-law (PCMA), used in Europe and most other countries.
    Alaw,
}

/// The mu-law code of a zero sample. The code 0x7F also decodes to zero ("negative zero").
pub const MULAW_SILENCE: u8 = 0xFF;

/// The A-law code of a zero sample. It decodes to +8, the smallest positive A-law level.
pub const ALAW_SILENCE: u8 = 0xD5;

const SIGN_BIT: u8 = 0x80;
const QUANT_MASK: u8 = 0x0F;
const SEG_SHIFT: u32 = 4;
const SEG_MASK: u8 = 0x70;

/// Bias added to the mu-law magnitude (in 16-bit units) so that segment ends fall on powers of 2.
const MULAW_BIAS: i32 = 0x84;

/// Largest 14-bit mu-law magnitude before the bias, `(32767 - 0x84) >> 2`.
const MULAW_CLIP: i32 = 8159;

/// Upper ends of the eight mu-law segments for the biased 14-bit magnitude.
const MULAW_SEGMENT_ENDS: [i32; 8] = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF];

/// Upper ends of the eight A-law segments for the 13-bit magnitude.
const ALAW_SEGMENT_ENDS: [i32; 8] = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF];

/// mu-law encode table, indexed by the top 14 bits of the sample read as u16 (`x as u16 >> 2`).
static MULAW_ENCODE: [u8; 1 << 14] = build_mulaw_encode_table();

/// A-law encode table, indexed by the top 13 bits of the sample read as u16 (`x as u16 >> 3`).
static ALAW_ENCODE: [u8; 1 << 13] = build_alaw_encode_table();

static MULAW_DECODE: [i16; 256] = build_decode_table(G711Law::Mulaw);

static ALAW_DECODE: [i16; 256] = build_decode_table(G711Law::Alaw);

/// Decodes one mu-law code to a 16-bit linear sample.
#[inline]
pub fn decode_mulaw(code: u8) -> i16 {
    MULAW_DECODE[usize::from(code)]
}

/// Decodes one A-law code to a 16-bit linear sample.
#[inline]
pub fn decode_alaw(code: u8) -> i16 {
    ALAW_DECODE[usize::from(code)]
}

/// Encodes one 16-bit linear sample as mu-law, dropping the 2 lowest bits as `audioop` does.
#[inline]
pub fn encode_mulaw(sample: i16) -> u8 {
    MULAW_ENCODE[usize::from(sample as u16 >> 2)]
}

/// Encodes one 16-bit linear sample as A-law, dropping the 3 lowest bits as `audioop` does.
#[inline]
pub fn encode_alaw(sample: i16) -> u8 {
    ALAW_ENCODE[usize::from(sample as u16 >> 3)]
}

/// Decodes `codes` and appends the samples to `out`, which does not reallocate when its spare
/// capacity is at least `codes.len()`.
pub fn decode_into(law: G711Law, codes: &[u8], out: &mut Vec<i16>) {
    let table = match law {
        G711Law::Mulaw => &MULAW_DECODE,
        G711Law::Alaw => &ALAW_DECODE,
    };
    out.extend(codes.iter().map(|&code| table[usize::from(code)]));
}

/// Encodes `samples` and appends the codes to `out`, which does not reallocate when its spare
/// capacity is at least `samples.len()`.
pub fn encode_into(law: G711Law, samples: &[i16], out: &mut Vec<u8>) {
    match law {
        G711Law::Mulaw => out.extend(samples.iter().map(|&sample| encode_mulaw(sample))),
        G711Law::Alaw => out.extend(samples.iter().map(|&sample| encode_alaw(sample))),
    }
}

/// Returns the index of the first segment whose upper end is at least `value`, or 8 when
/// `value` is above every segment.
const fn find_segment(value: i32, ends: &[i32; 8]) -> u8 {
    let mut segment = 0;
    while segment < 8 {
        if value <= ends[segment] {
            return segment as u8;
        }
        segment += 1;
    }
    8
}

/// Encodes a 14-bit two's complement sample (-8192..=8191) as mu-law.
const fn mulaw_from_14_bit(sample: i32) -> u8 {
    // mu-law stores the complement of every bit, so the mask also carries the inverted sign.
    let (mut magnitude, mask) = if sample < 0 {
        (-sample, 0x7F)
    } else {
        (sample, 0xFF)
    };
    if magnitude > MULAW_CLIP {
        magnitude = MULAW_CLIP;
    }
    magnitude += MULAW_BIAS >> 2;

    let segment = find_segment(magnitude, &MULAW_SEGMENT_ENDS);
    if segment >= 8 {
        return 0x7F ^ mask;
    }
    let mantissa = ((magnitude >> (segment + 1)) & QUANT_MASK as i32) as u8;
    ((segment << SEG_SHIFT) | mantissa) ^ mask
}

/// Encodes a 13-bit two's complement sample (-4096..=4095) as A-law.
const fn alaw_from_13_bit(sample: i32) -> u8 {
    // A-law inverts the even bits (0x55) and sets the sign bit for non-negative samples.
    let (magnitude, mask) = if sample >= 0 {
        (sample, 0xD5)
    } else {
        (-sample - 1, 0x55)
    };

    let segment = find_segment(magnitude, &ALAW_SEGMENT_ENDS);
    if segment >= 8 {
        return 0x7F ^ mask;
    }
    let shift = if segment < 2 { 1 } else { segment };
    let mantissa = ((magnitude >> shift) & QUANT_MASK as i32) as u8;
    ((segment << SEG_SHIFT) | mantissa) ^ mask
}

const fn mulaw_to_linear(code: u8) -> i16 {
    let inverted = !code;
    let segment = (inverted & SEG_MASK) >> SEG_SHIFT;
    let level = ((((inverted & QUANT_MASK) as i32) << 3) + MULAW_BIAS) << segment;
    if inverted & SIGN_BIT != 0 {
        (MULAW_BIAS - level) as i16
    } else {
        (level - MULAW_BIAS) as i16
    }
}

const fn alaw_to_linear(code: u8) -> i16 {
    let toggled = code ^ 0x55;
    let segment = (toggled & SEG_MASK) >> SEG_SHIFT;
    let mantissa = ((toggled & QUANT_MASK) as i32) << 4;
    let level = match segment {
        0 => mantissa + 8,
        _ => (mantissa + 0x108) << (segment - 1),
    };
    if toggled & SIGN_BIT != 0 {
        level as i16
    } else {
        -level as i16
    }
}

/// Reads the low `bits` bits of `index` as a two's complement number.
const fn sign_extend(index: usize, bits: u32) -> i32 {
    let value = index as i32;
    if value >= 1 << (bits - 1) {
        value - (1 << bits)
    } else {
        value
    }
}

const fn build_mulaw_encode_table() -> [u8; 1 << 14] {
    let mut table = [0; 1 << 14];
    let mut index = 0;
    while index < table.len() {
        table[index] = mulaw_from_14_bit(sign_extend(index, 14));
        index += 1;
    }
    table
}

const fn build_alaw_encode_table() -> [u8; 1 << 13] {
    let mut table = [0; 1 << 13];
    let mut index = 0;
    while index < table.len() {
        table[index] = alaw_from_13_bit(sign_extend(index, 13));
        index += 1;
    }
    table
}

const fn build_decode_table(law: G711Law) -> [i16; 256] {
    let mut table = [0; 256];
    let mut code = 0;
    while code < 256 {
        table[code] = match law {
            G711Law::Mulaw => mulaw_to_linear(code as u8),
            G711Law::Alaw => alaw_to_linear(code as u8),
        };
        code += 1;
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference tables written by tests/fixtures/make_g711_reference.py with Python 3.11's
    /// `audioop`, which follows the Sun reference g711.c.
    const MULAW_DECODE_REFERENCE: &[u8] =
        include_bytes!("../../tests/fixtures/g711_mulaw_decode.bin");
    const ALAW_DECODE_REFERENCE: &[u8] =
        include_bytes!("../../tests/fixtures/g711_alaw_decode.bin");
    const MULAW_ENCODE_REFERENCE: &[u8] =
        include_bytes!("../../tests/fixtures/g711_mulaw_encode.bin");
    const ALAW_ENCODE_REFERENCE: &[u8] =
        include_bytes!("../../tests/fixtures/g711_alaw_encode.bin");

    fn reference_decodes(bytes: &[u8]) -> Vec<i16> {
        assert_eq!(
            bytes.len(),
            512,
            "a decode table holds 256 little-endian i16 samples"
        );
        bytes
            .chunks_exact(2)
            .map(|pair| i16::from_le_bytes([pair[0], pair[1]]))
            .collect()
    }

    /// Compares `encode` with a reference table ordered by the sample's bit pattern as u16.
    fn check_all_encodes(reference: &[u8], encode: fn(i16) -> u8, law: &str) {
        assert_eq!(
            reference.len(),
            65_536,
            "an encode table holds one code per i16 sample"
        );
        let mut mismatches = Vec::new();
        for (bits, &expected) in reference.iter().enumerate() {
            let sample = bits as u16 as i16;
            let actual = encode(sample);
            if actual != expected {
                mismatches.push((sample, actual, expected));
            }
        }
        assert!(
            mismatches.is_empty(),
            "{law}: {} of 65536 samples differ from audioop; first (sample, ours, audioop): {:?}",
            mismatches.len(),
            &mismatches[..mismatches.len().min(8)]
        );
    }

    #[test]
    fn mulaw_decodes_match_audioop() {
        let reference = reference_decodes(MULAW_DECODE_REFERENCE);
        for code in 0..=255u8 {
            assert_eq!(
                decode_mulaw(code),
                reference[usize::from(code)],
                "mu-law code {code:#04x}"
            );
        }
    }

    #[test]
    fn alaw_decodes_match_audioop() {
        let reference = reference_decodes(ALAW_DECODE_REFERENCE);
        for code in 0..=255u8 {
            assert_eq!(
                decode_alaw(code),
                reference[usize::from(code)],
                "A-law code {code:#04x}"
            );
        }
    }

    #[test]
    fn mulaw_encodes_match_audioop() {
        check_all_encodes(MULAW_ENCODE_REFERENCE, encode_mulaw, "mu-law");
    }

    #[test]
    fn alaw_encodes_match_audioop() {
        check_all_encodes(ALAW_ENCODE_REFERENCE, encode_alaw, "A-law");
    }

    #[test]
    fn silence_codes() {
        assert_eq!(encode_mulaw(0), MULAW_SILENCE);
        assert_eq!(decode_mulaw(MULAW_SILENCE), 0);
        assert_eq!(decode_mulaw(0x7F), 0);
        assert_eq!(encode_alaw(0), ALAW_SILENCE);
        assert_eq!(decode_alaw(ALAW_SILENCE), 8);
    }

    #[test]
    fn decoded_codes_encode_to_themselves() {
        for code in 0..=255u8 {
            // 0x7F is mu-law "negative zero": it decodes to 0, which encodes as 0xFF.
            let expected_mulaw = if code == 0x7F { MULAW_SILENCE } else { code };
            assert_eq!(
                encode_mulaw(decode_mulaw(code)),
                expected_mulaw,
                "mu-law code {code:#04x}"
            );
            assert_eq!(
                encode_alaw(decode_alaw(code)),
                code,
                "A-law code {code:#04x}"
            );
        }
    }

    #[test]
    fn extremes_encode_to_largest_codes() {
        assert_eq!(encode_mulaw(i16::MAX), 0x80);
        assert_eq!(encode_mulaw(i16::MIN), 0x00);
        assert_eq!(encode_alaw(i16::MAX), 0xAA);
        assert_eq!(encode_alaw(i16::MIN), 0x2A);
    }

    #[test]
    fn slice_helpers_append_without_reallocating() {
        let samples: Vec<i16> = (-40..40).map(|step| step * 800).collect();
        for law in [G711Law::Mulaw, G711Law::Alaw] {
            let mut codes = Vec::with_capacity(samples.len() + 1);
            codes.push(0x55);
            let codes_buffer = codes.as_ptr();
            encode_into(law, &samples, &mut codes);
            assert_eq!(
                codes.as_ptr(),
                codes_buffer,
                "{law:?}: encode_into reallocated"
            );
            assert_eq!(
                codes[0], 0x55,
                "{law:?}: encode_into overwrote earlier content"
            );
            assert_eq!(codes.len(), samples.len() + 1);

            let mut decoded = Vec::with_capacity(samples.len());
            let decoded_buffer = decoded.as_ptr();
            decode_into(law, &codes[1..], &mut decoded);
            assert_eq!(
                decoded.as_ptr(),
                decoded_buffer,
                "{law:?}: decode_into reallocated"
            );

            for (&original, &roundtrip) in samples.iter().zip(&decoded) {
                // Both laws quantize the loudest segment in steps of 1024.
                let error = (i32::from(original) - i32::from(roundtrip)).abs();
                assert!(
                    error <= 1024,
                    "{law:?}: {original} decoded back as {roundtrip}"
                );
            }
        }
    }
}
