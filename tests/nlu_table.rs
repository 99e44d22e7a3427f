//! Table test of the Spanish NLU on answers as a small Vosk model transcribes them.
//!
//! Each row is an utterance, the question it answers (empty for none) and the full
//! expected interpretation: every slot not named in the row must be empty. Relative dates
//! resolve against Wednesday 2027-01-13.

use chrono::NaiveDate;
use recobra::dialogue::nlu::{Intent, Interpretation, interpret};

/// Day every relative date in the table resolves against (a Wednesday).
const TODAY: (i32, u32, u32) = (2027, 1, 13);

/// (utterance, expected question or "", expected slots as `key=value` pairs or "-").
const ROWS: &[(&str, &str, &str)] = &[
    // Yes.
    ("sí", "", "intent=yes"),
    ("si", "", "intent=yes"),
    ("Sí, sí.", "", "intent=yes"),
    ("si si claro", "confirm", "intent=yes"),
    ("vale", "confirm", "intent=yes"),
    ("vale vale de acuerdo", "", "intent=yes"),
    ("claro que sí", "", "intent=yes"),
    ("correcto", "confirm", "intent=yes"),
    ("es correcto", "confirm", "intent=yes"),
    ("eso es", "confirm", "intent=yes"),
    ("sí soy yo", "right_party", "intent=yes"),
    ("si soy yo", "right_party", "intent=yes"),
    ("soy yo", "right_party", "intent=yes"),
    ("el mismo", "right_party", "intent=yes"),
    ("sí, con él habla", "right_party", "intent=yes"),
    ("yo misma", "right_party", "intent=yes"),
    ("de acuerdo", "confirm", "intent=yes"),
    ("eh pues sí", "confirm", "intent=yes"),
    ("bueno vale", "confirm", "intent=yes"),
    ("exacto", "confirm", "intent=yes"),
    ("perfecto me parece bien", "confirm", "intent=yes"),
    ("dígame", "right_party", "intent=yes"),
    ("sí dígame", "right_party", "intent=yes"),
    ("por supuesto", "", "intent=yes"),
    ("okey", "", "intent=yes"),
    ("mire sí está bien", "confirm", "intent=yes"),
    // No.
    ("no", "", "intent=no"),
    ("no no", "confirm", "intent=no"),
    ("para nada", "confirm", "intent=no"),
    ("no es correcto", "confirm", "intent=no"),
    ("eso no es correcto", "confirm", "intent=no"),
    ("no gracias", "", "intent=no"),
    ("que va", "confirm", "intent=no"),
    ("no me interesa", "", "intent=no"),
    ("no quiero hablar con nadie", "", "intent=no"),
    ("no quiero un agente", "menu", "intent=no"),
    ("no, no quiero plazos", "confirm", "intent=no"),
    ("incorrecto", "confirm", "intent=no"),
    ("no no no", "confirm", "intent=no"),
    ("no estoy de acuerdo", "confirm", "intent=no"),
    ("no estoy conforme", "confirm", "intent=no"),
    ("de ninguna manera", "", "intent=no"),
    // Unsure.
    ("eh pues no se", "", "-"),
    ("no sé", "", "-"),
    ("no lo sé la verdad", "", "-"),
    ("ni idea", "", "-"),
    // Agent.
    ("agente", "menu", "intent=agent"),
    ("agentes", "menu", "intent=agent"),
    ("operador", "", "intent=agent"),
    ("quiero hablar con un operador", "", "intent=agent"),
    ("quiero hablar con una persona", "", "intent=agent"),
    ("quiero hablar con la persona", "", "intent=agent"),
    ("con un humano por favor", "", "intent=agent"),
    ("páseme con alguien", "", "intent=agent"),
    ("paseme con alguien", "", "intent=agent"),
    ("póngame con un agente", "", "intent=agent"),
    ("quiero hablar con alguien de verdad", "", "intent=agent"),
    ("una persona real por favor", "", "intent=agent"),
    ("eh hablar con un asesor", "", "intent=agent"),
    ("me puede pasar con un agente", "", "intent=agent"),
    ("no entiendo nada quiero un agente", "", "intent=agent"),
    ("que me pase con el supervisor", "", "intent=agent"),
    ("no, agente", "confirm", "intent=agent"),
    // Repeat.
    ("repita", "", "intent=repeat"),
    ("¿cómo?", "", "intent=repeat"),
    ("como", "", "intent=repeat"),
    ("¿qué?", "", "intent=repeat"),
    ("no le he entendido", "", "intent=repeat"),
    ("no le entendido", "", "intent=repeat"),
    ("otra vez", "", "intent=repeat"),
    ("perdone puede repetir", "", "intent=repeat"),
    ("repita por favor", "", "intent=repeat"),
    ("no le oigo bien", "", "intent=repeat"),
    ("¿cómo dice?", "", "intent=repeat"),
    ("no me he enterado", "", "intent=repeat"),
    ("más despacio por favor", "", "intent=repeat"),
    ("repítamelo", "", "intent=repeat"),
    // Pay now.
    ("quiero pagar todo", "", "intent=pay_now"),
    ("pagar ahora", "", "intent=pay_now"),
    ("lo pago ya", "", "intent=pay_now"),
    ("lo pago ahora mismo", "", "intent=pay_now"),
    ("quiero pagarlo todo de una vez", "", "intent=pay_now"),
    ("pues lo pago hoy", "", "intent=pay_now date=2027-01-13"),
    ("quiero pagar la deuda", "", "intent=pay_now"),
    ("lo pago con tarjeta", "", "intent=pay_now"),
    ("pagar todo de golpe", "menu", "intent=pay_now"),
    ("mándeme el enlace y lo pago", "", "intent=pay_now"),
    ("quiero liquidar la deuda", "", "intent=pay_now"),
    ("quiero pagar los ciento veinte euros", "", "intent=pay_now amount=12000"),
    ("vale lo pago todo", "", "intent=pay_now"),
    ("no quiero plazos lo pago todo", "", "intent=pay_now"),
    // Instalments.
    ("a plazos", "", "intent=instalments"),
    ("a plazo", "", "intent=instalments"),
    ("lo quiero fraccionar", "", "intent=instalments"),
    ("en cuotas", "", "intent=instalments"),
    ("pagar poco a poco", "", "intent=instalments"),
    ("¿puedo pagarlo a plazos?", "", "intent=instalments"),
    ("doce plazos", "instalment_count", "intent=instalments number=12"),
    ("en doce plazos", "", "intent=instalments number=12"),
    ("en seis cuotas", "", "intent=instalments number=6"),
    ("tres plazos", "", "intent=instalments number=3"),
    ("no puedo pagarlo todo a plazos sí", "", "intent=instalments"),
    ("cincuenta euros al mes", "", "intent=instalments amount=5000"),
    ("puedo pagar cien euros cada mes", "", "intent=instalments amount=10000"),
    ("en varios pagos", "", "intent=instalments"),
    ("quiero fraccionarlo en tres meses", "", "intent=instalments number=3"),
    ("no, a plazos", "confirm", "intent=instalments"),
    ("pagar en mensualidades", "", "intent=instalments"),
    // Promise.
    ("pagaré el día quince", "", "intent=promise date=2027-01-15"),
    ("pagare el dia quince", "", "intent=promise date=2027-01-15"),
    ("le pago el viernes", "", "intent=promise date=2027-01-15"),
    ("a final de mes", "", "intent=promise date=2027-01-31"),
    ("a finales de mes", "", "intent=promise date=2027-01-31"),
    ("le pago a fin de mes", "", "intent=promise date=2027-01-31"),
    ("el viernes", "promise_date", "intent=promise date=2027-01-15"),
    ("mañana", "promise_date", "intent=promise date=2027-01-14"),
    ("pasado mañana", "promise_date", "intent=promise date=2027-01-15"),
    ("el próximo lunes", "promise_date", "intent=promise date=2027-01-18"),
    ("el lunes que viene", "promise_date", "intent=promise date=2027-01-18"),
    ("el día veinte", "promise_date", "intent=promise date=2027-01-20"),
    ("el dia diez", "promise_date", "intent=promise date=2027-02-10"),
    ("el quince de enero", "promise_date", "intent=promise date=2027-01-15"),
    ("el diez de enero", "promise_date", "intent=promise date=2028-01-10"),
    ("el uno de marzo", "promise_date", "intent=promise date=2027-03-01"),
    ("el primero de marzo", "promise_date", "intent=promise date=2027-03-01"),
    ("dentro de una semana", "promise_date", "intent=promise date=2027-01-20"),
    ("dentro de diez días", "promise_date", "intent=promise date=2027-01-23"),
    ("la semana que viene", "promise_date", "intent=promise date=2027-01-20"),
    ("la próxima semana le pago", "", "intent=promise date=2027-01-20"),
    ("lo pago mañana", "", "intent=promise date=2027-01-14"),
    ("puedo pagar el lunes", "", "intent=promise date=2027-01-18"),
    ("le pago el veintiuno de febrero", "", "intent=promise date=2027-02-21"),
    ("pues el miércoles le hago la transferencia", "", "intent=promise date=2027-01-20"),
    ("cuando cobre", "", "intent=promise"),
    ("le pagaré cuando cobre la nómina", "", "intent=promise"),
    ("el quince", "promise_date", "intent=promise date=2027-01-15"),
    ("el día treinta y uno", "promise_date", "intent=promise date=2027-01-31"),
    ("el treinta y uno de enero", "promise_date", "intent=promise date=2027-01-31"),
    (
        "el quince de febrero de dos mil veintisiete",
        "promise_date",
        "intent=promise date=2027-02-15",
    ),
    ("a principios de mes", "promise_date", "intent=promise date=2027-02-01"),
    ("a mediados de mes", "promise_date", "intent=promise date=2027-01-15"),
    ("a finales de febrero", "promise_date", "intent=promise date=2027-02-28"),
    ("en dos semanas", "promise_date", "intent=promise date=2027-01-27"),
    ("dentro de un mes", "promise_date", "intent=promise date=2027-02-13"),
    ("el sábado", "promise_date", "intent=promise date=2027-01-16"),
    ("el sabado", "", "date=2027-01-16"),
    ("el domingo le pago cincuenta euros", "", "intent=promise amount=5000 date=2027-01-17"),
    ("le pago trescientos euros el día veinte", "", "intent=promise amount=30000 date=2027-01-20"),
    ("no puedo pagar hasta el día quince", "", "intent=promise date=2027-01-15"),
    ("hoy", "promise_date", "intent=promise date=2027-01-13"),
    ("el mes que viene", "", "intent=promise"),
    ("puedo pagar más adelante", "menu", "intent=promise"),
    ("pagaré más adelante", "menu", "intent=promise"),
    ("pagare mas adelante", "", "intent=promise"),
    ("ahora no puedo pero la semana que viene sí", "menu", "intent=promise"),
    ("le pago dentro de unos días", "menu", "intent=promise"),
    ("la semana que viene", "menu", "-"),
    ("no puedo pagar más adelante tampoco", "menu", "intent=hardship"),
    // Dispute.
    ("no reconozco esa deuda", "", "intent=dispute"),
    ("eso no lo debo", "", "intent=dispute"),
    ("es un error", "", "intent=dispute"),
    ("yo no debo nada", "", "intent=dispute"),
    ("no la reconozco", "", "intent=dispute"),
    ("esa deuda no es mía", "", "intent=dispute"),
    ("no es mia", "", "intent=dispute"),
    ("no tengo ninguna deuda con ustedes", "", "intent=dispute"),
    ("nunca he contratado eso", "", "intent=dispute"),
    ("no le debo nada a nadie", "", "intent=dispute"),
    ("eso es mentira", "", "intent=dispute"),
    ("no, es un error, yo no debo eso", "confirm", "intent=dispute"),
    ("no conozco esa deuda", "", "intent=dispute"),
    ("la cantidad no es correcta", "", "intent=dispute"),
    ("no debo tanto, debo ochenta euros", "", "intent=dispute amount=8000"),
    ("¿qué deuda?", "", "intent=dispute"),
    ("eso es una estafa", "", "intent=dispute"),
    ("no estoy de acuerdo con esa deuda", "menu", "intent=dispute"),
    ("no estoy de acuerdo con esa deuda", "", "intent=dispute"),
    ("no estoy de acuerdo con el importe", "confirm", "intent=dispute"),
    ("no estoy conforme", "menu", "intent=dispute"),
    ("no estoy conforme con esta deuda", "", "intent=dispute"),
    ("no estoy de acuerdo", "menu", "intent=dispute"),
    ("esa deuda no es mía", "menu", "intent=dispute"),
    // Already paid.
    ("ya lo he pagado", "", "intent=already_paid"),
    ("ya la he pagado", "", "intent=already_paid"),
    ("ya pagué", "", "intent=already_paid"),
    ("ya pague", "", "intent=already_paid"),
    ("está pagado", "", "intent=already_paid"),
    ("esta pagada", "", "intent=already_paid"),
    ("ya está pagado desde hace un mes", "", "intent=already_paid number=1"),
    ("lo pagué el lunes", "", "intent=already_paid date=2027-01-18"),
    ("ya hice la transferencia", "", "intent=already_paid"),
    ("no, ya lo he pagado", "confirm", "intent=already_paid"),
    ("ya se pagó todo", "", "intent=already_paid"),
    ("ya lo pagamos la semana pasada", "", "intent=already_paid"),
    ("estoy al corriente de pago", "", "intent=already_paid"),
    ("no lo he pagado todavía", "", "intent=no"),
    // Hardship.
    ("no puedo pagar", "", "intent=hardship"),
    ("no puedo pagarlo", "", "intent=hardship"),
    ("estoy en paro", "", "intent=hardship"),
    ("no tengo dinero", "", "intent=hardship"),
    ("me han despedido", "", "intent=hardship"),
    ("eh es que no tengo dinero ahora mismo", "", "intent=hardship"),
    ("ahora mismo no puedo pagar", "", "intent=hardship"),
    ("estoy sin trabajo", "", "intent=hardship"),
    ("no llego a fin de mes", "", "intent=hardship"),
    ("no puedo", "reason", "intent=hardship"),
    ("estoy de baja", "", "intent=hardship"),
    ("tengo problemas económicos", "", "intent=hardship"),
    ("sí pero no puedo pagar", "confirm", "intent=hardship"),
    ("me despidieron hace dos meses", "", "intent=hardship number=2"),
    ("no me llega con la pensión", "", "intent=hardship"),
    ("estoy en el paro y no tengo nada", "", "intent=hardship"),
    ("no tengo ni un euro", "", "intent=hardship amount=100"),
    // Wrong person.
    ("no soy yo", "right_party", "intent=wrong_person"),
    ("no, no soy yo", "right_party", "intent=wrong_person"),
    ("no no soy yo", "", "intent=wrong_person"),
    ("se ha equivocado", "", "intent=wrong_person"),
    ("se ha equivocado de número", "", "intent=wrong_person"),
    ("aquí no vive", "", "intent=wrong_person"),
    ("aqui no vive nadie con ese nombre", "", "intent=wrong_person"),
    ("no conozco a esa persona", "", "intent=wrong_person"),
    ("no la conozco de nada", "", "intent=wrong_person"),
    ("número equivocado", "", "intent=wrong_person"),
    ("yo no soy esa persona", "", "intent=wrong_person"),
    ("ya no vive aquí", "", "intent=wrong_person"),
    ("no sé quién es", "right_party", "intent=wrong_person"),
    // Call back.
    ("llámeme más tarde", "", "intent=call_back_later"),
    ("llameme mas tarde", "", "intent=call_back_later"),
    ("ahora no puedo hablar", "", "intent=call_back_later"),
    ("estoy conduciendo", "", "intent=call_back_later"),
    ("estoy trabajando, llámeme luego", "", "intent=call_back_later"),
    ("llámeme mañana", "", "intent=call_back_later date=2027-01-14"),
    ("llámeme el lunes por la mañana", "", "intent=call_back_later date=2027-01-18"),
    ("estoy en una reunión", "", "intent=call_back_later"),
    ("ahora no es buen momento", "", "intent=call_back_later"),
    ("mejor más tarde", "", "intent=call_back_later"),
    ("ahora no puedo", "right_party", "intent=call_back_later"),
    ("no está en casa", "right_party", "intent=call_back_later"),
    ("vuelva a llamar otro día", "", "intent=call_back_later"),
    // Identity digits.
    ("cuatro ocho dos uno", "identity_digits", "digits=4821"),
    ("cuarenta y ocho veintiuno", "identity_digits", "digits=4821"),
    ("cuarenta y ocho veinte uno", "identity_digits", "digits=4821"),
    ("cero quinientos noventa y tres", "identity_digits", "digits=0593"),
    ("cero cinco nueve tres", "identity_digits", "digits=0593"),
    ("eh pues cuatro ocho dos uno", "identity_digits", "digits=4821"),
    ("4821", "identity_digits", "digits=4821"),
    ("48 21", "identity_digits", "digits=4821"),
    ("treinta y tres cuarenta y cinco", "identity_digits", "digits=3345"),
    ("doce treinta y cuatro", "identity_digits", "digits=1234"),
    ("uno dos tres cuatro", "identity_digits", "digits=1234"),
    ("son el siete siete cero dos", "identity_digits", "digits=7702"),
    ("nueve nueve nueve nueve", "identity_digits", "digits=9999"),
    ("diez veinte", "identity_digits", "digits=1020"),
    ("cuatro ocho dos uno", "", "digits=4821"),
    ("cuarenta y ocho veintiuno", "", "digits=4821"),
    ("dieci seis veinte", "identity_digits", "digits=1620"),
    // Menu.
    ("uno", "menu", "number=1 digits=1"),
    ("el uno", "menu", "number=1 digits=1"),
    ("la dos", "menu", "number=2 digits=2"),
    ("opción tres", "menu", "number=3 digits=3"),
    ("la segunda", "menu", "number=2 digits=2"),
    ("la primera opción", "menu", "number=1 digits=1"),
    ("2", "menu", "number=2 digits=2"),
    ("el cuatro por favor", "menu", "number=4 digits=4"),
    // Instalment count and satisfaction.
    ("doce", "instalment_count", "number=12"),
    ("veinticuatro", "instalment_count", "number=24"),
    ("en seis meses", "instalment_count", "number=6"),
    ("pues tres", "instalment_count", "number=3"),
    ("veintiún plazos", "instalment_count", "intent=instalments number=21"),
    ("veintiuno", "instalment_count", "number=21"),
    ("en dieciocho cuotas", "instalment_count", "intent=instalments number=18"),
    ("una cuota", "instalment_count", "intent=instalments number=1"),
    ("cinco", "satisfaction", "number=5"),
    ("un cuatro", "satisfaction", "number=4"),
    ("le doy un diez", "satisfaction", "number=10"),
    // Numbers.
    ("tres", "", "number=3"),
    ("doce plazos", "", "intent=instalments number=12"),
    ("veintiuno", "", "number=21"),
    ("veintiún", "", "number=21"),
    ("ciento veinte", "", "number=120"),
    ("mil doscientos", "", "number=1200"),
    ("dos millones", "", "number=2000000"),
    (
        "novecientos noventa y nueve millones novecientos noventa y nueve mil novecientos noventa y nueve",
        "",
        "number=999999999",
    ),
    ("cien", "", "number=100"),
    ("ciento uno", "", "number=101"),
    ("quinientos", "", "number=500"),
    ("setecientos setenta y siete", "", "number=777"),
    ("dos mil veintisiete", "", "number=2027"),
    ("un millón", "", "number=1000000"),
    ("un millón doscientos mil", "", "number=1200000"),
    ("veintiún mil", "", "number=21000"),
    ("dos cientos", "", "number=200"),
    ("treinta y cinco", "", "number=35"),
    // Amounts.
    ("ciento veinte euros con cincuenta", "", "amount=12050"),
    ("ochenta y siete con diez", "", "amount=8710"),
    ("treinta euros", "", "amount=3000"),
    ("doce euros con cincuenta céntimos", "", "amount=1250"),
    ("mil doscientos treinta y cuatro euros con cincuenta y seis", "", "amount=123456"),
    ("cincuenta céntimos", "", "amount=50"),
    ("un euro", "", "amount=100"),
    ("veintiún euros", "", "amount=2100"),
    ("cien euros", "", "amount=10000"),
    ("puedo pagar cincuenta euros", "", "intent=pay_now amount=5000"),
    ("dos mil euros", "", "amount=200000"),
    ("doce euros cincuenta", "", "amount=1250"),
    ("12,50 euros", "", "amount=1250"),
    ("son 87,10", "", "amount=8710"),
    ("1.234 euros", "", "amount=123400"),
    ("un millón de euros", "", "amount=100000000"),
    ("doscientos euros y veinte", "", "amount=20020"),
    ("ochenta y siete euros con diez céntimos", "", "amount=8710"),
    // Negation scope and mixed answers.
    ("no, un agente", "confirm", "intent=agent"),
    ("no quiero hablar con un agente", "", "intent=no"),
    ("no no páseme con un agente", "", "intent=agent"),
    ("no me pase con nadie", "", "intent=no"),
    ("no puedo pagarlo a plazos", "", "intent=hardship"),
    ("no puedo pagar todo de golpe", "", "intent=hardship"),
    ("quiero pagar pero no tengo dinero", "", "intent=hardship"),
    ("vale pues a plazos", "", "intent=instalments"),
    ("no es correcta la fecha", "confirm", "intent=no"),
    ("no, no, sí, soy yo", "right_party", "intent=yes"),
    ("sí, bueno, no", "confirm", "intent=no"),
    ("sí, sí, soy yo, dígame", "right_party", "intent=yes"),
    ("no, llámeme mañana", "", "intent=call_back_later date=2027-01-14"),
    ("sí, el viernes quince", "promise_date", "intent=promise date=2027-01-15"),
    ("le pago el jueves catorce", "", "intent=promise date=2027-01-14"),
    ("el lunes dieciocho de enero", "promise_date", "intent=promise date=2027-01-18"),
    ("el treinta de febrero", "promise_date", "number=30"),
    ("el uno", "promise_date", "intent=promise date=2027-02-01"),
    ("mañana por la mañana le pago", "", "intent=promise date=2027-01-14"),
    ("quince mil euros", "", "amount=1500000"),
    ("2.000 euros", "", "amount=200000"),
    ("veinte euros con cinco", "", "amount=2005"),
    ("seiscientos doce trescientos cuarenta", "identity_digits", "digits=612340"),
    ("cien euros tres meses", "", "amount=10000 number=3"),
    ("doce euros cincuenta céntimos", "", "amount=1250"),
];

/// Builds the interpretation a row expects, or returns why the row is malformed.
fn expected(spec: &str) -> Result<Interpretation, String> {
    let mut interpretation = Interpretation::default();
    if spec == "-" {
        return Ok(interpretation);
    }

    for pair in spec.split_whitespace() {
        let (key, value) = pair.split_once('=').ok_or(format!("invalid pair {pair:?}"))?;
        let invalid = || format!("invalid value in {pair:?}");
        match key {
            "intent" => interpretation.intent = Some(intent(value)?),
            "number" => interpretation.number = Some(value.parse().map_err(|_| invalid())?),
            "digits" => interpretation.digits = Some(value.to_owned()),
            "amount" => interpretation.amount_cents = Some(value.parse().map_err(|_| invalid())?),
            "date" => interpretation.date = Some(value.parse().map_err(|_| invalid())?),
            _ => return Err(format!("unknown key {key:?}")),
        }
    }
    Ok(interpretation)
}

fn intent(name: &str) -> Result<Intent, String> {
    let intent = match name {
        "yes" => Intent::Yes,
        "no" => Intent::No,
        "agent" => Intent::Agent,
        "repeat" => Intent::Repeat,
        "pay_now" => Intent::PayNow,
        "instalments" => Intent::Instalments,
        "promise" => Intent::Promise,
        "dispute" => Intent::Dispute,
        "already_paid" => Intent::AlreadyPaid,
        "hardship" => Intent::Hardship,
        "wrong_person" => Intent::WrongPerson,
        "call_back_later" => Intent::CallBackLater,
        _ => return Err(format!("unknown intent {name:?}")),
    };
    Ok(intent)
}

/// Formats the slots compared by the table, in the table's own notation.
fn describe(interpretation: &Interpretation) -> String {
    let mut parts = Vec::new();
    if let Some(intent) = interpretation.intent {
        parts.push(format!(
            "intent={}",
            serde_json::to_value(intent).unwrap_or_default().as_str().unwrap_or("?")
        ));
    }
    if let Some(number) = interpretation.number {
        parts.push(format!("number={number}"));
    }
    if let Some(digits) = &interpretation.digits {
        parts.push(format!("digits={digits}"));
    }
    if let Some(amount) = interpretation.amount_cents {
        parts.push(format!("amount={amount}"));
    }
    if let Some(date) = interpretation.date {
        parts.push(format!("date={date}"));
    }
    if parts.is_empty() { "-".to_owned() } else { parts.join(" ") }
}

#[test]
fn nlu_table_rows_all_pass() {
    let today = NaiveDate::from_ymd_opt(TODAY.0, TODAY.1, TODAY.2).expect("valid date");
    let mut failures = Vec::new();

    for (text, state, spec) in ROWS {
        let expecting = (!state.is_empty()).then_some(*state);
        let want = match expected(spec) {
            Ok(want) => want,
            Err(error) => {
                failures.push(format!("{text:?}: malformed row: {error}"));
                continue;
            }
        };
        let got = interpret(text, expecting, today);
        let same = got.intent == want.intent
            && got.number == want.number
            && got.digits == want.digits
            && got.amount_cents == want.amount_cents
            && got.date == want.date;
        if !same {
            failures.push(format!(
                "{text:?} [{state}]: expected {spec}, got {} (normalized {:?})",
                describe(&got),
                got.normalized
            ));
        }
    }

    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        ROWS.len(),
        failures.join("\n")
    );
}

#[test]
fn nlu_table_is_large_enough() {
    assert!(ROWS.len() >= 200, "only {} rows", ROWS.len());
}

#[test]
fn odd_input_gives_no_values() {
    let today = NaiveDate::from_ymd_opt(TODAY.0, TODAY.1, TODAY.2).expect("valid date");
    let odd = [
        "",
        "   ",
        "¿¡...!?",
        "[unk]",
        "🙂 hola 🙂",
        "el treinta y dos de enero",
        "dentro de noventa y nueve mil millones de días",
        "el día cero",
        "y y y",
    ];
    for text in odd {
        let got = interpret(text, Some("promise_date"), today);
        assert_eq!(got.date, None, "{text:?} gave a date");
        assert_eq!(got.amount_cents, None, "{text:?} gave an amount");
    }
}

#[test]
fn huge_numbers_do_not_overflow() {
    let today = NaiveDate::from_ymd_opt(TODAY.0, TODAY.1, TODAY.2).expect("valid date");
    let got = interpret("99999999999999999999999 euros", None, today);
    assert_eq!(got.amount_cents, None, "a numeral past u64 is not read");

    let got = interpret("novecientos mil millones de euros", None, today);
    assert_eq!(got.amount_cents, Some(90_000_000_000_000), "\"mil millones\" is 10^9");

    let got = interpret("18446744073709551615 euros", None, today);
    assert_eq!(got.amount_cents, Some(i64::MAX), "amounts past i64 cents saturate");
}
