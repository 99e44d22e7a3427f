//! Turning Vosk's n-best output into a [`RecognitionResult`].

use super::RecognitionResult;
use super::model::UNKNOWN_WORD_SPELLINGS;

/// Removes unknown-word tokens (`[unk]`, `<UNK>`) from a transcript and normalises spaces.
pub(crate) fn clean_transcript(text: &str) -> String {
    text.split_whitespace()
        .filter(|word| !UNKNOWN_WORD_SPELLINGS.contains(word))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Builds a result from Vosk's n-best list of `(transcript, score)` pairs, best first.
///
/// Vosk 0.3.45 scores each n-best entry with an unnormalised log-domain path score (larger
/// is better). A softmax over the list turns the scores into posterior estimates, and
/// entries that are equal once unknown-word tokens are removed are merged by adding their
/// posteriors. An empty list gives an empty transcript with confidence 0.0.
pub(crate) fn result_from_nbest(nbest: &[(&str, f32)], audio_ms: u32, decode_ms: u32) -> RecognitionResult {
    let posteriors = softmax(nbest.iter().map(|(_, score)| *score));

    let mut merged: Vec<(String, f32)> = Vec::new();
    for ((text, _), posterior) in nbest.iter().zip(posteriors) {
        let text = clean_transcript(text);
        match merged.iter_mut().find(|(seen, _)| *seen == text) {
            Some((_, total)) => *total += posterior,
            None => merged.push((text, posterior)),
        }
    }
    // A stable sort keeps Vosk's order between equal posteriors.
    merged.sort_by(|a, b| b.1.total_cmp(&a.1));

    let mut ranked = merged.into_iter();
    let (text, confidence) = ranked.next().unwrap_or_default();
    let alternatives = ranked.filter(|(text, _)| !text.is_empty()).collect();
    RecognitionResult { text, confidence, alternatives, audio_ms, decode_ms }
}

fn softmax(scores: impl Iterator<Item = f32> + Clone) -> Vec<f32> {
    let max = scores.clone().fold(f32::NEG_INFINITY, f32::max);
    let weights: Vec<f32> = scores.map(|score| (score - max).exp()).collect();
    let total: f32 = weights.iter().sum();
    weights.into_iter().map(|weight| weight / total).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_transcript_drops_unknown_tokens() {
        assert_eq!(clean_transcript(" [unk] sí  <UNK> vale "), "sí vale");
        assert_eq!(clean_transcript("<unk>"), "");
    }

    #[test]
    fn single_alternative_has_full_confidence() {
        let result = result_from_nbest(&[("네", 96.8)], 1_200, 30);

        assert_eq!(result.text, "네");
        assert!((result.confidence - 1.0).abs() < 1e-6, "confidence {}", result.confidence);
        assert!(result.alternatives.is_empty());
        assert_eq!(result.audio_ms, 1_200);
        assert_eq!(result.decode_ms, 30);
    }

    #[test]
    fn scores_become_posteriors() {
        // Scores one nat apart: posteriors proportional to e^0, e^-1, e^-2.
        let result = result_from_nbest(&[("sí", 50.0), ("si", 49.0), ("no", 48.0)], 0, 0);
        let total = 1.0 + (-1.0f32).exp() + (-2.0f32).exp();

        assert_eq!(result.text, "sí");
        assert!((result.confidence - 1.0 / total).abs() < 1e-5, "confidence {}", result.confidence);
        assert_eq!(result.alternatives.len(), 2);
        assert_eq!(result.alternatives[0].0, "si");
        assert!((result.alternatives[0].1 - (-1.0f32).exp() / total).abs() < 1e-5);
        assert_eq!(result.alternatives[1].0, "no");
    }

    #[test]
    fn unknown_only_entries_merge_into_no_match() {
        // Two no-match entries together outweigh the single word entry.
        let result = result_from_nbest(&[("네", 36.0), ("", 35.9), ("<UNK>", 35.8)], 0, 0);

        assert_eq!(result.text, "");
        assert!(result.confidence > 0.5, "confidence {}", result.confidence);
        assert_eq!(result.alternatives.len(), 1);
        assert_eq!(result.alternatives[0].0, "네");
    }

    #[test]
    fn empty_alternatives_are_not_listed() {
        let result = result_from_nbest(&[("네", 40.0), ("[unk]", 39.0)], 0, 0);

        assert_eq!(result.text, "네");
        assert!(result.alternatives.is_empty(), "alternatives {:?}", result.alternatives);
    }

    #[test]
    fn empty_nbest_is_no_match() {
        let result = result_from_nbest(&[], 0, 0);

        assert_eq!(result.text, "");
        assert_eq!(result.confidence, 0.0);
    }
}
