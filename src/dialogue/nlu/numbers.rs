//! Numbers spoken in Spanish words, as a small Vosk model writes them.
//!
//! A run of number words is cut into chunks, each the longest well-formed number that
//! starts there: "cuarenta y ocho veintiuno" is 48 then 21, and "cero quinientos noventa y
//! tres" is 0 then 593. The dialogue reads one chunk as a number and several adjacent ones
//! as a digit string. Hand-written because no maintained crate parses Spanish number words
//! with the splits and misspellings a recogniser produces ("veinte uno", "dos cientos").

/// One run of tokens read as a single number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// The value; for a decimal numeral ("12,50") the whole part.
    pub value: u64,
    /// The digits as spoken: "0" for "cero", the numeral as written for "0593".
    pub digits: String,
    /// Cents of a decimal numeral ("12,50" gives 50).
    pub decimal_cents: Option<u64>,
    /// Index of the first token.
    pub start: usize,
    /// Index one past the last token.
    pub end: usize,
}

/// The part one token contributes to a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lexeme {
    Zero,
    /// 1 to 9.
    Unit(u64),
    /// A single word from 10 to 29 ("doce", "veintitres").
    Teen(u64),
    /// "veinte", or "veinti"/"dieci" split from their unit: may take a unit directly.
    OpenTens(u64),
    /// 30 to 90.
    Tens(u64),
    /// 100 to 900.
    Hundred(u64),
    /// "cientos" after a unit ("dos cientos").
    Cientos,
    Mil,
    Millon,
    /// "y" between tens and a unit.
    And,
    /// Digits as written ("15", "0593"), with cents when written with a decimal part.
    Numeral(u64, Option<u64>),
}

fn lexeme(token: &str) -> Option<Lexeme> {
    use Lexeme::*;
    let lexeme = match token {
        "cero" => Zero,
        "un" | "uno" | "una" => Unit(1),
        "dos" => Unit(2),
        "tres" => Unit(3),
        "cuatro" => Unit(4),
        "cinco" => Unit(5),
        "seis" => Unit(6),
        "siete" => Unit(7),
        "ocho" => Unit(8),
        "nueve" => Unit(9),
        "diez" => Teen(10),
        "once" => Teen(11),
        "doce" => Teen(12),
        "trece" => Teen(13),
        "catorce" => Teen(14),
        "quince" => Teen(15),
        "dieciseis" => Teen(16),
        "diecisiete" => Teen(17),
        "dieciocho" => Teen(18),
        "diecinueve" => Teen(19),
        "veintiun" | "veintiuno" | "veintiuna" => Teen(21),
        "veintidos" => Teen(22),
        "veintitres" => Teen(23),
        "veinticuatro" => Teen(24),
        "veinticinco" => Teen(25),
        "veintiseis" => Teen(26),
        "veintisiete" => Teen(27),
        "veintiocho" => Teen(28),
        "veintinueve" => Teen(29),
        "dieci" => OpenTens(10),
        "veinte" | "veinti" => OpenTens(20),
        "treinta" => Tens(30),
        "cuarenta" => Tens(40),
        "cincuenta" => Tens(50),
        "sesenta" => Tens(60),
        "setenta" => Tens(70),
        "ochenta" => Tens(80),
        "noventa" => Tens(90),
        "cien" | "ciento" => Hundred(100),
        "doscientos" | "doscientas" => Hundred(200),
        "trescientos" | "trescientas" => Hundred(300),
        "cuatrocientos" | "cuatrocientas" => Hundred(400),
        "quinientos" | "quinientas" | "cincocientos" => Hundred(500),
        "seiscientos" | "seiscientas" => Hundred(600),
        "setecientos" | "setecientas" | "sietecientos" => Hundred(700),
        "ochocientos" | "ochocientas" => Hundred(800),
        "novecientos" | "novecientas" | "nuevecientos" => Hundred(900),
        "cientos" | "cientas" => Cientos,
        "mil" => Mil,
        "millon" | "millones" => Millon,
        "y" => And,
        _ => return numeral(token),
    };
    Some(lexeme)
}

/// Reads "15", "0593", "1.234" (thousands point) and "12,50" or "12.50" (decimal part).
fn numeral(token: &str) -> Option<Lexeme> {
    if !token.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    if let Some((whole, fraction)) = token.split_once([',', '.']) {
        let thousands =
            token.contains('.') && fraction.len() == 3 && !fraction.contains(['.', ',']);
        if thousands {
            let value = format!("{whole}{fraction}").parse().ok()?;
            return Some(Lexeme::Numeral(value, None));
        }
        if fraction.is_empty() || fraction.len() > 2 {
            return None;
        }
        let cents = format!("{fraction:0<2}").parse().ok()?;
        return Some(Lexeme::Numeral(whole.parse().ok()?, Some(cents)));
    }
    Some(Lexeme::Numeral(token.parse().ok()?, None))
}

/// The last part added to the group below one thousand, which decides what may follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Last {
    Nothing,
    Hundred,
    Tens,
    OpenTens,
    TensAnd,
    Unit,
    Teen,
}

/// A number being read, token by token.
struct Reader {
    total: u64,
    group: u64,
    last: Last,
    seen_mil: bool,
    seen_millon: bool,
}

impl Reader {
    fn new() -> Self {
        Self { total: 0, group: 0, last: Last::Nothing, seen_mil: false, seen_millon: false }
    }

    /// Adds the lexeme when it continues a well-formed number; `next` is the lexeme after
    /// it, which decides whether a "y" joins tens to a unit.
    fn push(&mut self, lexeme: Lexeme, next: Option<Lexeme>) -> bool {
        use Last::*;
        let open = matches!(self.last, Nothing | Hundred);
        match lexeme {
            Lexeme::Hundred(value) if self.last == Nothing => self.add(value, Hundred),
            Lexeme::Cientos if self.last == Unit && self.group < 10 && self.group > 1 => {
                self.group *= 100;
                self.last = Hundred;
            }
            Lexeme::Tens(value) if open => self.add(value, Tens),
            Lexeme::OpenTens(value) if open => self.add(value, OpenTens),
            Lexeme::Teen(value) if open => self.add(value, Teen),
            Lexeme::Unit(value) if matches!(self.last, Nothing | Hundred | TensAnd | OpenTens) => {
                self.add(value, Unit)
            }
            Lexeme::And
                if matches!(self.last, Tens | OpenTens)
                    && matches!(next, Some(Lexeme::Unit(_))) =>
            {
                self.last = TensAnd
            }
            Lexeme::Mil if !self.seen_mil && self.last != TensAnd => {
                self.total += self.group.max(1) * 1_000;
                self.reset_group();
                self.seen_mil = true;
            }
            // "mil millones" is 10^9: every thousand read so far counts millions.
            Lexeme::Millon if !self.seen_millon && self.last != TensAnd => {
                let count = (self.total + self.group).max(1);
                self.total = count * 1_000_000;
                self.reset_group();
                self.seen_millon = true;
                self.seen_mil = false;
            }
            _ => return false,
        }
        true
    }

    fn add(&mut self, value: u64, last: Last) {
        self.group += value;
        self.last = last;
    }

    fn reset_group(&mut self) {
        self.group = 0;
        self.last = Last::Nothing;
    }

    fn value(&self) -> u64 {
        self.total + self.group
    }
}

/// Reads the chunk that starts at `start`, stopping before any token marked in `used`.
pub fn chunk_at(tokens: &[String], used: &[bool], start: usize) -> Option<Chunk> {
    let available = |i: usize| i < tokens.len() && !used.get(i).copied().unwrap_or(false);
    let lexeme_at = |i: usize| {
        if available(i) { lexeme(&tokens[i]) } else { None }
    };

    match lexeme_at(start)? {
        Lexeme::Zero => return Some(single(start, 0, "0".to_owned(), None)),
        Lexeme::Numeral(value, cents) => {
            return Some(single(start, value, tokens[start].clone(), cents));
        }
        Lexeme::And => return None,
        _ => {}
    }

    let mut reader = Reader::new();
    let mut end = start;
    while let Some(lexeme) = lexeme_at(end) {
        if !reader.push(lexeme, lexeme_at(end + 1)) {
            break;
        }
        end += 1;
    }
    (end > start).then(|| Chunk {
        value: reader.value(),
        digits: reader.value().to_string(),
        decimal_cents: None,
        start,
        end,
    })
}

fn single(start: usize, value: u64, digits: String, decimal_cents: Option<u64>) -> Chunk {
    let digits = if decimal_cents.is_some() { value.to_string() } else { digits };
    Chunk { value, digits, decimal_cents, start, end: start + 1 }
}

/// Splits every run of number tokens not marked in `used` into chunks, in order.
pub fn chunks(tokens: &[String], used: &[bool]) -> Vec<Chunk> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        match chunk_at(tokens, used, i) {
            Some(chunk) => {
                i = chunk.end;
                found.push(chunk);
            }
            None => i += 1,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<u64> {
        let tokens: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
        chunks(&tokens, &[]).iter().map(|chunk| chunk.value).collect()
    }

    #[test]
    fn chunks_read_whole_numbers() {
        assert_eq!(values("ciento veinte"), [120]);
        assert_eq!(values("mil doscientos"), [1_200]);
        assert_eq!(values("dos millones"), [2_000_000]);
        assert_eq!(values("veintiun mil quinientos"), [21_500]);
        assert_eq!(
            values(
                "novecientos noventa y nueve millones novecientos noventa y nueve mil novecientos noventa y nueve"
            ),
            [999_999_999]
        );
        assert_eq!(values("dos cientos tres"), [203]);
        assert_eq!(values("mil millones"), [1_000_000_000]);
        assert_eq!(values("dos mil quinientos millones tres mil"), [2_500_003_000]);
    }

    #[test]
    fn chunks_split_digit_groups() {
        assert_eq!(values("cuatro ocho dos uno"), [4, 8, 2, 1]);
        assert_eq!(values("cuarenta y ocho veinte uno"), [48, 21]);
        assert_eq!(values("cero quinientos noventa y tres"), [0, 593]);
        assert_eq!(values("treinta y tres y cuatro"), [33, 4]);
    }
}
