//! Intent cues: phrases over normalised tokens, tried in priority order.
//!
//! A cue is a space-separated phrase in which `*` matches any one word. Its first
//! character sets how a "no" before it is read:
//! - plain (a verb phrase, "he pagado"): a negator in the two words before negates it
//!   ("no lo he pagado");
//! - `@` (a noun phrase, "a plazos"): a negator up to five words before negates it when a
//!   verb follows the negator and only infinitives, pronouns, articles and prepositions
//!   come between ("no quiero plazos", "no quiero hablar con un agente"). "no, a plazos"
//!   is a "no" to the previous offer followed by the answer, and in "no entiendo nada,
//!   quiero un agente" the "nada" shows a new clause;
//! - `!` (an imperative, "páseme", or an interjection, "sí"): never negated, because a
//!   negative command takes the subjunctive ("no me pase"), so "no, páseme" is a "no"
//!   followed by the command;
//! - `=`: the phrase must be the whole utterance.
//!
//! A cue that starts with a negator ("no soy yo") or with "ya" is never negated.

use super::Intent;

#[rustfmt::skip]
const NEGATORS: &[&str] = &["no", "nunca", "tampoco", "ni", "jamas"];

/// Words that end the scope of a negator before them ("no, sí, soy yo").
const CLAUSE_STARTS: &[&str] = &["si", "ya", "pero"];

/// Words that may sit between a negator and a noun cue without carrying the negation.
#[rustfmt::skip]
const LINKING_WORDS: &[&str] = &[
    "un", "una", "unos", "unas", "el", "la", "los", "las", "a", "al", "con", "en", "de", "del",
];

/// Cues that need no date, tried before a promise is read from a date.
pub const BEFORE_DATE: &[(Intent, &[&str])] = &[
    (Intent::AlreadyPaid, ALREADY_PAID),
    (Intent::Dispute, DISPUTE),
    (Intent::WrongPerson, WRONG_PERSON),
    (Intent::Agent, AGENT),
    (Intent::Repeat, REPEAT),
    (Intent::Instalments, INSTALMENTS),
    (Intent::Hardship, HARDSHIP_BEFORE_DATE),
    (Intent::CallBackLater, CALL_BACK),
    (Intent::Promise, PROMISE),
];

/// Cues tried after the date check, hardship and a later payment, most specific first; yes
/// and no come last.
pub const AFTER_DATE: &[(Intent, &[&str])] = &[
    (Intent::PayNow, PAY_NOW),
    (Intent::CallBackLater, CALL_BACK_WEAK),
];

/// Words that make a date a payment promise ("le pago el viernes").
#[rustfmt::skip]
pub const PAYMENT: &[&str] = &[
    "pago", "pagar", "pagarlo", "pagarla", "pagaria", "pagamos", "abono", "abonar", "ingreso",
    "ingresar", "ingresarlo", "transferencia", "puedo", "podre", "podria", "tendre", "lo tiene",
    "lo tendra", "lo tendre",
];

/// Replies that mean the caller does not know ("no sé"): no intent, not a "no".
#[rustfmt::skip]
pub const UNSURE: &[&str] = &[
    "no se", "no lo se", "ni idea", "no sabria", "no estoy seguro", "no estoy segura",
    "no me acuerdo", "no recuerdo", "que se yo",
];

#[rustfmt::skip]
pub const YES: &[&str] = &[
    "!si", "!sii", "!sip", "vale", "!claro", "correcto", "es correcto", "eso es", "!exacto",
    "!exactamente", "@de acuerdo", "!perfecto", "!afirmativo", "!efectivamente", "!por supuesto",
    "soy yo", "yo soy", "el mismo", "la misma", "yo mismo", "yo misma", "al habla",
    "con el habla", "con ella habla", "!digame", "!dime", "!ok", "!okey", "!okay", "asi es",
    "conforme", "esta bien", "sin problema", "!venga", "!adelante", "me parece bien", "!aja",
    "eso mismo", "cierto", "!desde luego", "entendido", "=bien", "=muy bien",
];

#[rustfmt::skip]
pub const NO: &[&str] = &[
    "no", "para nada", "no es correcto", "incorrecto", "negativo", "en absoluto", "que va",
    "ni hablar", "=nada", "tampoco", "de ninguna manera", "ni de broma", "nunca",
    "no gracias", "no me interesa", "no quiero", "nanay", "jamas",
];

#[rustfmt::skip]
const ALREADY_PAID: &[&str] = &[
    "ya * he pagado", "ya he pagado", "he pagado ya", "lo he pagado", "la he pagado",
    "ya pague", "ya * pague", "lo pague", "la pague", "se lo pague", "ya le pague",
    "esta pagado", "esta pagada", "ya se pago", "ya se ha pagado", "ya hemos pagado",
    "lo hemos pagado", "la hemos pagado", "ya * pagamos", "esta abonado", "esta abonada",
    "ya * abone", "ya abone", "esta liquidado", "esta liquidada", "esta saldado",
    "esta saldada", "hice la transferencia", "hice el pago", "ya he hecho el pago",
    "ya he hecho la transferencia", "he hecho el ingreso", "hice el ingreso", "pagado ya",
    "ya pagado", "estoy al corriente", "esta al corriente", "ya la he liquidado",
    "ya lo he liquidado", "pague hace",
];

#[rustfmt::skip]
const DISPUTE: &[&str] = &[
    "no reconozco", "no * reconozco", "no lo debo", "no la debo", "no debo nada",
    "no debo eso", "no le debo", "no les debo", "no debo", "eso no lo debo", "es un error",
    "un error", "error", "no es mia", "no es mio", "no es mi deuda", "no tengo ninguna deuda",
    "no tengo deudas", "no tengo deuda", "no tengo nada pendiente", "no he contratado",
    "nunca he contratado", "no contrate", "nunca contrate", "no he firmado",
    "nunca he firmado", "es mentira", "mentira", "no me corresponde", "fraude", "estafa",
    "timo", "reclamacion", "reclamar", "no estoy de acuerdo con la deuda",
    "no estoy de acuerdo con el importe", "no estoy de acuerdo con la cantidad",
    "no estoy de acuerdo con * deuda", "no estoy de acuerdo con * importe",
    "no estoy de acuerdo con * cantidad", "no estoy conforme con * deuda",
    "no estoy conforme con * importe", "no estoy conforme con * cantidad",
    "la cantidad no es correcta", "el importe no es correcto", "la deuda no es correcta",
    "la cantidad esta mal", "no es esa cantidad", "no debo tanto", "no es tanto",
    "no me suena", "que deuda", "no conozco esa deuda", "no conozco la deuda",
    "no conozco ninguna deuda", "eso no es mio", "no es cosa mia", "nunca he tenido",
];

#[rustfmt::skip]
const WRONG_PERSON: &[&str] = &[
    "no soy yo", "yo no soy", "no soy el", "no soy la", "no soy ese", "no soy esa",
    "no es aqui", "se ha equivocado", "se han equivocado", "se equivoca", "se equivocan",
    "te has equivocado", "se ha confundido", "se han confundido", "esta equivocado",
    "estan equivocados", "equivocado de numero", "numero equivocado", "aqui no vive",
    "no vive aqui", "ya no vive", "no conozco", "no * conozco", "no se quien es",
    "no sabemos quien es", "no es este numero", "no es mi numero", "no es su numero",
    "no soy el titular", "no soy la titular", "no hay nadie con ese nombre",
    "aqui no hay ningun", "aqui no hay ninguna", "no me llamo asi", "no es mi nombre",
];

#[rustfmt::skip]
const AGENT: &[&str] = &[
    "@agente", "@agentes", "@operador", "@operadora", "@operadores", "@humano",
    "@una persona", "@persona real", "@persona de verdad", "hablar con la persona",
    "hablar con una persona", "hablar con alguien", "hablar con un humano",
    "quiero hablar con", "!paseme", "!pasame", "!paseme con", "!pongame con", "!ponme con",
    "@asesor", "@asesora", "@gestor", "@gestora", "@supervisor", "@supervisora",
    "@encargado", "@encargada", "@responsable", "@atencion al cliente",
    "@una compañera", "@un compañero", "hablar con un", "hablar con una",
];

#[rustfmt::skip]
const REPEAT: &[&str] = &[
    "=como", "=que", "=perdon", "=perdone", "=mande", "=que dice", "=como dice",
    "=como dices", "=que ha dicho", "=como ha dicho", "=otra vez", "=otra vez por favor",
    "!repita", "!repite", "!repitame", "!repitalo", "!repitamelo", "repetir", "repetirlo", "repetirmelo",
    "no le he entendido", "no le entendido", "no te he entendido", "no he entendido", "no le entiendo",
    "no entiendo", "no te entiendo", "no le oigo", "no te oigo", "no se oye", "no le escucho",
    "no se escucha", "no me he enterado", "no le he oido", "!digamelo otra vez",
    "!digalo otra vez", "mas despacio", "como ha dicho", "que ha dicho", "que me ha dicho",
];

#[rustfmt::skip]
const INSTALMENTS: &[&str] = &[
    "@a plazos", "@plazos", "@plazo", "@en plazos", "fraccionar", "fraccionarlo",
    "fraccionarla", "@fraccionado", "@fraccionada", "@fraccionamiento", "@cuotas",
    "@en cuotas", "@cuota", "@poco a poco", "@en partes", "@por partes", "@mensualidades",
    "@mensualidad", "aplazar", "aplazarlo", "@aplazado", "@aplazamiento", "financiar",
    "financiarlo", "@cada mes", "@al mes", "@todos los meses", "@en varios pagos",
    "@varios pagos", "@en dos veces", "@en varias veces", "@pagos mensuales",
    "@plan de pagos",
];

#[rustfmt::skip]
const HARDSHIP_BEFORE_DATE: &[&str] = &[
    "no llego a fin de mes", "no llego a final de mes", "no llego a finales de mes",
    "no llego",
];

#[rustfmt::skip]
const CALL_BACK: &[&str] = &[
    "!llameme", "!llamame", "!llamenme", "vuelva a llamar", "vuelvan a llamar",
    "vuelve a llamar", "llame mas tarde", "llame luego", "llame otro dia",
    "llame en otro momento", "no puedo hablar", "no puedo atenderle", "no puedo atender",
    "estoy conduciendo", "conduciendo", "estoy al volante", "estoy trabajando",
    "estoy en el trabajo", "estoy ocupado", "estoy ocupada", "en una reunion",
    "no es buen momento", "no es un buen momento", "no me pilla bien", "me pilla mal",
    "estoy liado", "estoy liada", "no tengo tiempo", "en otro momento", "luego hablamos",
];

#[rustfmt::skip]
const PROMISE: &[&str] = &[
    "pagare", "le pagare", "lo pagare", "ingresare", "abonare", "hare el pago",
    "hare la transferencia", "hare el ingreso", "cuando cobre", "cuando me paguen",
    "a final de mes", "a finales de mes", "a fin de mes", "final de mes", "fin de mes",
    "a principios de mes", "a primeros de mes", "el mes que viene", "el proximo mes",
];

/// Disagreement that disputes the debt when it answers the options menu, right after the
/// debt was disclosed. To an offer ("¿lo confirma?") the same words are a plain "no".
#[rustfmt::skip]
pub const DISPUTE_AT_MENU: &[&str] = &[
    "no estoy de acuerdo", "no estoy conforme", "no lo veo correcto", "no me parece correcto",
];

/// Times after today with no date the NLU can resolve ("más adelante"). With a word of
/// paying ("puedo pagar más adelante") they make a promise whose date is asked next.
#[rustfmt::skip]
pub const LATER: &[&str] = &[
    "mas adelante", "semana que viene", "proxima semana", "semana proxima",
    "dentro de unos dias", "en unos dias",
];

#[rustfmt::skip]
pub const HARDSHIP: &[&str] = &[
    "no puedo pagar", "no puedo pagarlo", "no puedo pagarla", "=no puedo",
    "es que no puedo", "no tengo dinero", "no tengo un duro", "no tengo ni un euro",
    "=no tengo nada", "no tengo trabajo", "no tengo ingresos", "@sin trabajo",
    "@sin dinero", "@sin ingresos", "@sin empleo", "estoy en paro", "@en el paro", "@paro",
    "estoy parado", "estoy parada", "me han despedido", "me despidieron", "@despedido",
    "@despedida", "me han echado", "@erte", "estoy de baja", "@de baja", "@enfermo",
    "@enferma", "@enfermedad", "@hospital", "no cobro", "no he cobrado", "no me pagan",
    "no me han pagado", "@problemas economicos", "@problemas de dinero", "@dificultades",
    "@mal momento", "@mala racha", "@mala situacion", "estoy arruinado", "estoy arruinada",
    "no me da", "no me alcanza", "no me llega", "me es imposible", "@imposible",
    "@pension", "pensionista",
];

#[rustfmt::skip]
const PAY_NOW: &[&str] = &[
    "pagar todo", "pagarlo todo", "pagarla toda", "pagar toda", "pago todo",
    "lo pago todo", "pagar ahora", "pago ahora", "pagarlo ahora", "lo pago ahora",
    "lo pago ya", "pago ya", "pagar ya", "pagarlo ya", "quiero pagar", "lo quiero pagar",
    "quiero pagarlo", "voy a pagar", "pagar hoy", "pago hoy", "lo pago hoy",
    "pagar la deuda", "pagar el total", "@el total", "@todo de una vez", "@de una vez",
    "@de golpe", "liquidar", "liquidarlo", "saldar", "saldarlo", "@al contado",
    "@con tarjeta", "ahora mismo lo pago", "lo pago", "pagarlo", "!envieme el enlace",
    "!mandeme el enlace", "@el enlace", "@la totalidad", "pagar",
];

#[rustfmt::skip]
const CALL_BACK_WEAK: &[&str] = &[
    "mas tarde", "luego", "ahora no puedo", "ahora mismo no puedo", "=ahora no",
    "no esta en casa", "no se encuentra", "ahora no esta", "no esta ahora", "ha salido",
    "otro dia",
];

/// Returns the index where the first cue of `cues` matches `tokens`, not negated.
pub fn first_match(tokens: &[String], cues: &[&str]) -> Option<usize> {
    cues.iter().filter_map(|cue| cue_matches(tokens, cue).next()).min()
}

/// Returns the index where the last cue of `cues` matches `tokens`, not negated.
pub fn last_match(tokens: &[String], cues: &[&str]) -> Option<usize> {
    cues.iter().filter_map(|cue| cue_matches(tokens, cue).last()).max()
}

/// Start indices where `cue` matches `tokens` and is not negated, in order.
fn cue_matches<'a>(tokens: &'a [String], cue: &'a str) -> Box<dyn Iterator<Item = usize> + 'a> {
    if let Some(phrase) = cue.strip_prefix('=') {
        let whole = tokens.len() == phrase.split(' ').count() && matches_at(tokens, 0, phrase);
        return Box::new(whole.then_some(0).into_iter());
    }

    let (phrase, kind) = match cue.chars().next() {
        Some('@') => (&cue[1..], CueKind::Noun),
        Some('!') => (&cue[1..], CueKind::Imperative),
        _ => (cue, CueKind::Verb),
    };
    let length = phrase.split(' ').count();
    // "ya" after a "no" starts a new clause ("no, ya lo he pagado"), so it shields the cue.
    let first_word = phrase.split(' ').next().unwrap_or("");
    let never_negated =
        kind == CueKind::Imperative || NEGATORS.contains(&first_word) || first_word == "ya";

    Box::new((0..=tokens.len().saturating_sub(length)).filter(move |&start| {
        matches_at(tokens, start, phrase) && (never_negated || !negated(tokens, start, kind))
    }))
}

/// Checks whether `word` may sit between a negated verb and its noun complement: a linking word,
/// a clitic pronoun or an infinitive ("hablar", "pagarlo").
fn stays_in_clause(word: &str) -> bool {
    const CLITICS: &[&str] = &["me", "te", "le", "lo", "la", "se", "nos", "les", "los", "las"];
    if LINKING_WORDS.contains(&word) || CLITICS.contains(&word) {
        return true;
    }

    let mut stem = word;
    while let Some(shorter) = CLITICS.iter().find_map(|clitic| stem.strip_suffix(clitic)) {
        stem = shorter;
    }
    stem.len() > 2 && (stem.ends_with("ar") || stem.ends_with("er") || stem.ends_with("ir"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CueKind {
    Verb,
    Noun,
    Imperative,
}

fn matches_at(tokens: &[String], start: usize, phrase: &str) -> bool {
    let words: Vec<&str> = phrase.split(' ').collect();
    let Some(window) = tokens.get(start..start + words.len()) else {
        return false;
    };
    window.iter().zip(&words).all(|(token, word)| *word == "*" || token == word)
}

/// Checks whether a negator governs the cue at `start`, by the rules in the module header.
fn negated(tokens: &[String], start: usize, kind: CueKind) -> bool {
    let is_negator = |i: &usize| NEGATORS.contains(&tokens[*i].as_str());
    match kind {
        CueKind::Verb => (start.saturating_sub(2)..start).filter(is_negator).any(|negator| {
            !tokens[negator + 1..start].iter().any(|word| CLAUSE_STARTS.contains(&word.as_str()))
        }),
        CueKind::Noun => (start.saturating_sub(5)..start).filter(is_negator).any(|negator| {
            let between = &tokens[negator + 1..start];
            match between.split_first() {
                Some((verb, rest)) => {
                    !LINKING_WORDS.contains(&verb.as_str())
                        && !CLAUSE_STARTS.contains(&verb.as_str())
                        && rest.iter().all(|word| stays_in_clause(word))
                }
                None => false,
            }
        }),
        CueKind::Imperative => false,
    }
}
