//! Turning a transcript into comparable tokens.
//!
//! Vosk writes lower case words without punctuation, but it drops accents now and then and
//! a typed test or a larger model may not, so both spellings must match the same phrase.
//! Accents are folded by hand: the handful of Spanish vowels with diacritics does not
//! justify a Unicode normalisation crate. The ñ stays distinct ("año" is not "ano").

/// Words that carry no meaning in an answer ("eh", "pues", "mire").
#[rustfmt::skip]
const FILLERS: &[&str] = &[
    "eh", "ehh", "eeh", "ehm", "em", "emm", "mm", "mmm", "hmm", "hm", "uh", "uhm", "um", "ah",
    "ahh", "pues", "bueno", "mire", "mira", "oiga", "oye", "hombre", "mujer", "vamos",
    "digamos", "unk",
];

/// Two-word fillers ("a ver", "o sea").
const FILLER_PAIRS: &[[&str; 2]] = &[["a", "ver"], ["o", "sea"], ["la", "verdad"]];

/// Lower-cases `text`, folds accents, turns punctuation into spaces, splits it into words
/// and drops fillers. A comma or point between digits stays inside the token ("12,50").
pub fn tokens(text: &str) -> Vec<String> {
    let folded = fold(text);
    let words: Vec<&str> = folded.split_whitespace().collect();
    drop_fillers(&words)
}

/// Lower-cases and folds accents; every character that is not a letter, a digit or a
/// separator between two digits becomes a space.
fn fold(text: &str) -> String {
    let lower: Vec<char> = text.to_lowercase().chars().collect();
    let mut folded = String::with_capacity(lower.len());

    for (i, &c) in lower.iter().enumerate() {
        let between_digits = i > 0
            && lower[i - 1].is_ascii_digit()
            && lower.get(i + 1).is_some_and(|next| next.is_ascii_digit());
        let kept = match c {
            'á' | 'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            ',' | '.' if between_digits => c,
            c if c.is_alphanumeric() => c,
            _ => ' ',
        };
        folded.push(kept);
    }
    folded
}

fn drop_fillers(words: &[&str]) -> Vec<String> {
    let mut kept = Vec::with_capacity(words.len());
    let mut i = 0;

    while i < words.len() {
        let pair = words.get(i..i + 2);
        if pair.is_some_and(|pair| FILLER_PAIRS.iter().any(|filler| filler == pair)) {
            i += 2;
            continue;
        }
        if !FILLERS.contains(&words[i]) {
            kept.push(words[i].to_owned());
        }
        i += 1;
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_fold_accents_and_keep_enye() {
        assert_eq!(
            tokens("¿Sí? Pagaré el AÑO que viene"),
            ["si", "pagare", "el", "año", "que", "viene"]
        );
        assert_eq!(tokens("miércoles, sábado"), ["miercoles", "sabado"]);
    }

    #[test]
    fn tokens_drop_fillers() {
        assert_eq!(tokens("eh pues a ver mire no se"), ["no", "se"]);
        assert_eq!(tokens("bueno hombre o sea vale"), ["vale"]);
    }

    #[test]
    fn tokens_keep_decimal_separators() {
        assert_eq!(tokens("son 12,50 euros."), ["son", "12,50", "euros"]);
        assert_eq!(tokens("1.234, vale"), ["1.234", "vale"]);
    }
}
