//! The logic of the correction form of the status page, in plain Rust (tested natively): which inputs each
//! correction asked by the gestionnaire opens, how they read and write the stored request, and the validation of the
//! edited request with the very `shared` rules the server runs, keeping only the errors of the corrected fields.

use shared::api::{CommuneLibreInput, Correction, PreRegistrationRequest};
use shared::birthplace::CommuneLibre;
use shared::date::CalendarDate;
use shared::error::FieldErrors;
use shared::preregistration::PreRegistration;

/// One input of the correction form, keyed as the API keys its errors (`nom_naissance`, `prenoms.1`,
/// `situation.metier`…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub key: String,
    pub label: String,
    pub hint: Option<&'static str>,
    /// `text`, `email` or `tel`.
    pub kind: &'static str,
    pub autocomplete: Option<&'static str>,
}

/// What the form shows for one correction: the gestionnaire's message and the inputs to fix it, or, when the field
/// cannot be corrected here, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectionForm {
    pub field: String,
    pub message: String,
    pub inputs: Vec<Input>,
    /// Set when nothing can be typed here (the identity document, an unknown field).
    pub explanation: Option<&'static str>,
}

const DATE_HINT: &str = "Au format AAAA-MM-JJ, par exemple 1985-04-23.";
const CONTACT: &str = "Cette information ne peut pas être corrigée ici : contactez votre établissement, qui vous dira \
                       comment la lui transmettre. Vous pouvez renvoyer les autres corrections.";

fn input(key: impl Into<String>, label: impl Into<String>) -> Input {
    Input {
        key: key.into(),
        label: label.into(),
        hint: None,
        kind: "text",
        autocomplete: None,
    }
}

fn with_hint(mut i: Input, hint: &'static str) -> Input {
    i.hint = Some(hint);
    i
}

/// The inputs a correction asks for, with the request as stored (to know how many prénoms, where the person was
/// born).
pub fn correction_form(
    correction: &Correction,
    demande: &PreRegistrationRequest,
) -> CorrectionForm {
    let mut explanation = None;
    let field = correction.field.as_str();
    let inputs = match field {
        "nom_naissance" => vec![Input {
            autocomplete: Some("family-name"),
            ..input("nom_naissance", "Nom de naissance")
        }],
        "prenoms" => {
            let count = demande.input.prenoms.len().max(1);
            (0..count)
                .map(|i| {
                    let label = if count == 1 {
                        "Prénom".to_owned()
                    } else {
                        format!("Prénom {}", i + 1)
                    };
                    input(format!("prenoms.{i}"), label)
                })
                .collect()
        }
        "date_naissance" => vec![with_hint(
            input("date_naissance", "Date de naissance"),
            DATE_HINT,
        )],
        "lieu_naissance" => {
            let place = &demande.input.lieu_naissance;
            if demande.commune_libre.is_some() {
                vec![
                    input("commune_libre.nom", "Commune de naissance"),
                    with_hint(
                        input("commune_libre.departement", "Département de naissance"),
                        "Son numéro : 2 chiffres, 2A, 2B ou 3 chiffres outre-mer, par exemple 31.",
                    ),
                ]
            } else if place
                .pays_cog
                .as_deref()
                .is_some_and(|p| !p.trim().is_empty())
            {
                vec![
                    with_hint(
                        input("lieu_naissance.pays_cog", "Code du pays de naissance"),
                        "Le code officiel du pays (5 chiffres, par exemple 99134 pour l'Espagne). En cas de doute, \
                         contactez votre établissement.",
                    ),
                    input("lieu_naissance.ville_etrangere", "Ville de naissance"),
                ]
            } else {
                vec![with_hint(
                    input(
                        "lieu_naissance.commune_cog",
                        "Code de la commune de naissance",
                    ),
                    "Le code officiel de la commune (5 caractères, par exemple 31483), et non son code postal. En \
                     cas de doute, contactez votre établissement.",
                )]
            }
        }
        "email" | "email_confirmation" => vec![
            Input {
                kind: "email",
                autocomplete: Some("email"),
                ..input("email", "Adresse email")
            },
            Input {
                kind: "email",
                autocomplete: Some("email"),
                ..input("email_confirmation", "Confirmez l'adresse email")
            },
        ],
        "mobile" => vec![Input {
            kind: "tel",
            autocomplete: Some("tel"),
            ..with_hint(
                input("mobile", "Téléphone mobile"),
                "Par exemple 06 12 34 56 78.",
            )
        }],
        "metier" | "situation.metier" => vec![with_hint(
            input("situation.metier", "Code du métier"),
            "Le code de votre métier dans la nomenclature (par exemple 328). En cas de doute, contactez votre \
             établissement.",
        )],
        "role" | "situation.role" => vec![with_hint(
            input("situation.role", "Code du rôle"),
            "Le code de votre rôle dans la nomenclature (par exemple GENR11). En cas de doute, contactez votre \
             établissement.",
        )],
        "mode_exercice" | "situation.mode_exercice" => vec![with_hint(
            input("situation.mode_exercice", "Code du mode d'exercice"),
            "S pour salarié, L pour libéral, B pour bénévole. En cas de doute, contactez votre établissement.",
        )],
        "nom_exercice" | "situation.nom_exercice" => {
            vec![input("situation.nom_exercice", "Nom d'exercice")]
        }
        "prenom_exercice" | "situation.prenom_exercice" => {
            vec![input("situation.prenom_exercice", "Prénom d'exercice")]
        }
        "date_prise_fonction" | "situation.date_prise_fonction" => vec![with_hint(
            input("situation.date_prise_fonction", "Date de prise de fonction"),
            DATE_HINT,
        )],
        _ => {
            explanation = Some(CONTACT);
            Vec::new()
        }
    };
    CorrectionForm {
        field: correction.field.clone(),
        message: correction.message.clone(),
        inputs,
        explanation,
    }
}

/// Every input of the form, in the order of the corrections, each once.
pub fn all_inputs(forms: &[CorrectionForm]) -> Vec<Input> {
    let mut seen = Vec::<Input>::new();
    for i in forms.iter().flat_map(|f| f.inputs.iter()) {
        if !seen.iter().any(|s| s.key == i.key) {
            seen.push(i.clone());
        }
    }
    seen
}

/// The value of an input in the request.
pub fn value(request: &PreRegistrationRequest, key: &str) -> String {
    let input = &request.input;
    let s = &input.situation;
    let place = &input.lieu_naissance;
    let libre = request.commune_libre.as_ref();
    match key {
        "nom_naissance" => input.nom_naissance.clone(),
        "date_naissance" => input.date_naissance.clone(),
        "email" => input.email.clone(),
        "email_confirmation" => input.email_confirmation.clone(),
        "mobile" => input.mobile.clone(),
        "situation.metier" => s.metier.clone(),
        "situation.role" => s.role.clone(),
        "situation.mode_exercice" => s.mode_exercice.clone(),
        "situation.nom_exercice" => s.nom_exercice.clone(),
        "situation.prenom_exercice" => s.prenom_exercice.clone(),
        "situation.date_prise_fonction" => s.date_prise_fonction.clone(),
        "lieu_naissance.commune_cog" => place.commune_cog.clone().unwrap_or_default(),
        "lieu_naissance.pays_cog" => place.pays_cog.clone().unwrap_or_default(),
        "lieu_naissance.ville_etrangere" => place.ville_etrangere.clone().unwrap_or_default(),
        "commune_libre.nom" => libre.map(|l| l.nom.clone()).unwrap_or_default(),
        "commune_libre.departement" => libre.map(|l| l.departement.clone()).unwrap_or_default(),
        _ => key
            .strip_prefix("prenoms.")
            .and_then(|i| i.parse::<usize>().ok())
            .and_then(|i| input.prenoms.get(i).cloned())
            .unwrap_or_default(),
    }
}

fn optional(value: String) -> Option<String> {
    (!value.trim().is_empty()).then_some(value)
}

/// Writes an input's value into the request.
pub fn set_value(request: &mut PreRegistrationRequest, key: &str, value: String) {
    let input = &mut request.input;
    match key {
        "nom_naissance" => input.nom_naissance = value,
        "date_naissance" => input.date_naissance = value,
        "email" => input.email = value,
        "email_confirmation" => input.email_confirmation = value,
        "mobile" => input.mobile = value,
        "situation.metier" => input.situation.metier = value,
        "situation.role" => input.situation.role = value,
        "situation.mode_exercice" => input.situation.mode_exercice = value,
        "situation.nom_exercice" => input.situation.nom_exercice = value,
        "situation.prenom_exercice" => input.situation.prenom_exercice = value,
        "situation.date_prise_fonction" => input.situation.date_prise_fonction = value,
        "lieu_naissance.commune_cog" => input.lieu_naissance.commune_cog = optional(value),
        "lieu_naissance.pays_cog" => input.lieu_naissance.pays_cog = optional(value),
        "lieu_naissance.ville_etrangere" => input.lieu_naissance.ville_etrangere = optional(value),
        "commune_libre.nom" => {
            request
                .commune_libre
                .get_or_insert_with(Default::default)
                .nom = value
        }
        "commune_libre.departement" => {
            request
                .commune_libre
                .get_or_insert_with(Default::default)
                .departement = value;
        }
        _ => {
            if let Some(i) = key
                .strip_prefix("prenoms.")
                .and_then(|i| i.parse::<usize>().ok())
            {
                if input.prenoms.len() <= i {
                    input.prenoms.resize(i + 1, String::new());
                }
                input.prenoms[i] = value;
            }
        }
    }
}

/// Whether an error key belongs to one of the inputs (`lieu_naissance` covers `lieu_naissance.commune_cog`, and
/// the reverse).
fn concerns(key: &str, inputs: &[Input]) -> bool {
    let root_of = |k: &str| {
        let mut parts = k.split('.');
        match (parts.next(), parts.next()) {
            (Some("prenoms"), _) => "prenoms".to_owned(),
            (Some(first), Some(second)) if first == "situation" => format!("{first}.{second}"),
            (Some("commune_libre"), _) => "lieu_naissance".to_owned(),
            (Some(first), _) => first.to_owned(),
            _ => k.to_owned(),
        }
    };
    let root = root_of(key);
    inputs
        .iter()
        .any(|i| i.key == key || root_of(&i.key) == root)
}

/// The errors of the corrected fields in the edited request, by the `shared` rules (the server's own).
pub fn errors(
    request: &PreRegistrationRequest,
    forms: &[CorrectionForm],
    today: CalendarDate,
) -> FieldErrors {
    let inputs = all_inputs(forms);
    let mut all = match PreRegistration::try_from_input(request.input.clone(), today) {
        Ok(_) => FieldErrors::new(),
        Err(errors) => errors,
    };
    if let Some(libre) = &request.commune_libre {
        // The commune typed as free text stands for the commune of the list: its own rule replaces that one.
        let mut inner = std::mem::take(&mut all).into_inner();
        inner.retain(|key, _| !key.starts_with("lieu_naissance"));
        all = inner.into();
        let input = CommuneLibreInput {
            nom: libre.nom.clone(),
            departement: libre.departement.clone(),
        };
        if let Err(libre_errors) = CommuneLibre::from_input(&input) {
            all.merge_prefixed("commune_libre", libre_errors);
        }
    }
    let mut kept = FieldErrors::new();
    for (key, messages) in all.iter() {
        if concerns(key, &inputs) {
            for message in messages {
                kept.add(key, message.clone());
            }
        }
    }
    kept
}

/// The id of the input (or of the first input) an error key points at.
pub fn field_id(key: &str, inputs: &[Input]) -> String {
    let target = if inputs.iter().any(|i| i.key == key) {
        key.to_owned()
    } else if key == "prenoms" {
        "prenoms.0".to_owned()
    } else {
        inputs
            .iter()
            .find(|i| concerns(key, std::slice::from_ref(i)))
            .map_or_else(|| key.to_owned(), |i| i.key.clone())
    };
    format!("correction-{}", target.replace('.', "-"))
}

/// The error shown under an input: its own, or one of its field as a whole (`prenoms`, `lieu_naissance`).
pub fn error_of(errors: &FieldErrors, input: &Input) -> Option<String> {
    let whole = match input.key.split('.').next() {
        Some("prenoms") => Some("prenoms"),
        Some("lieu_naissance") | Some("commune_libre") => Some("lieu_naissance"),
        _ => None,
    };
    errors
        .get(&input.key)
        .or_else(|| whole.and_then(|w| errors.get(w)))
        .and_then(|m| m.first().cloned())
}

/// Errors in the order of the inputs, then those of no input: `(field id, message)`.
pub fn summary(errors: &FieldErrors, inputs: &[Input]) -> Vec<(String, String)> {
    let mut list: Vec<(usize, String, String)> = errors
        .iter()
        .filter_map(|(key, messages)| {
            let position = inputs
                .iter()
                .position(|i| i.key == key || concerns(key, std::slice::from_ref(i)))
                .unwrap_or(inputs.len());
            messages
                .first()
                .map(|m| (position, field_id(key, inputs), m.clone()))
        })
        .collect();
    list.sort_by_key(|(position, id, _)| (*position, id.clone()));
    list.into_iter().map(|(_, id, m)| (id, m)).collect()
}

/// Merges the client's errors and the server's (422), the server's winning for a key.
pub fn merged(client: &FieldErrors, server: &FieldErrors) -> FieldErrors {
    let mut inner = client.clone().into_inner();
    for (key, messages) in server.iter() {
        inner.insert(key.to_owned(), messages.to_vec());
    }
    inner.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::api::{BirthPlaceInput, PreRegistrationInput, SituationInput};

    fn today() -> CalendarDate {
        CalendarDate::from_ymd(2026, 11, 26).unwrap_or_else(|e| panic!("{e}"))
    }

    fn stored() -> PreRegistrationRequest {
        PreRegistrationRequest {
            input: PreRegistrationInput {
                civilite: "MME".into(),
                nom_naissance: "N'Diaye".into(),
                prenoms: vec!["Awa".into(), "Marie".into()],
                date_naissance: "1988-11-03".into(),
                lieu_naissance: BirthPlaceInput {
                    commune_cog: Some("2A004".into()),
                    ..BirthPlaceInput::default()
                },
                email: "awa@exemple.fr".into(),
                email_confirmation: "awa@exemple.fr".into(),
                mobile: "06 12 34 56 78".into(),
                situation: SituationInput {
                    finess: "319999918".into(),
                    nom_exercice: "N'Diaye".into(),
                    prenom_exercice: "Awa".into(),
                    metier: "328".into(),
                    role: "GENR11".into(),
                    mode_exercice: "S".into(),
                    date_prise_fonction: "2024-09-01".into(),
                },
                rpps_existant: None,
                notice_version: "v1".into(),
            },
            site_id: Some(1),
            document_id: "d".into(),
            commune_libre: None,
        }
    }

    fn correction(field: &str) -> Correction {
        Correction {
            field: field.into(),
            message: format!("À corriger : {field}"),
        }
    }

    fn forms(fields: &[&str], demande: &PreRegistrationRequest) -> Vec<CorrectionForm> {
        fields
            .iter()
            .map(|f| correction_form(&correction(f), demande))
            .collect()
    }

    #[test]
    fn the_stored_request_is_valid_and_shows_no_error() {
        let demande = stored();
        let forms = forms(&["nom_naissance", "prenoms", "email", "metier"], &demande);
        assert!(errors(&demande, &forms, today()).is_empty());
    }

    #[test]
    fn each_correction_opens_its_inputs_prefilled_from_the_request() {
        let demande = stored();
        let f = forms(&["prenoms", "email", "metier", "lieu_naissance"], &demande);
        let keys: Vec<_> = all_inputs(&f).into_iter().map(|i| i.key).collect();
        assert_eq!(
            keys,
            [
                "prenoms.0",
                "prenoms.1",
                "email",
                "email_confirmation",
                "situation.metier",
                "lieu_naissance.commune_cog"
            ]
        );
        assert_eq!(value(&demande, "prenoms.1"), "Marie");
        assert_eq!(value(&demande, "situation.metier"), "328");
        assert_eq!(value(&demande, "lieu_naissance.commune_cog"), "2A004");
        let date = correction_form(&correction("date_naissance"), &demande);
        assert_eq!(date.inputs[0].hint, Some(DATE_HINT));
        assert_eq!(value(&demande, "date_naissance"), "1988-11-03");
    }

    #[test]
    fn the_document_cannot_be_corrected_here() {
        let form = correction_form(&correction("document_id"), &stored());
        assert!(form.inputs.is_empty());
        assert!(form.explanation.is_some_and(|e| e.contains("contactez")));
    }

    #[test]
    fn only_the_errors_of_the_corrected_fields_show() {
        let mut demande = stored();
        let f = forms(&["nom_naissance"], &demande);
        set_value(&mut demande, "nom_naissance", String::new());
        set_value(&mut demande, "mobile", "12".into());
        let e = errors(&demande, &f, today());
        assert!(e.contains("nom_naissance"), "{e:?}");
        assert!(!e.contains("mobile"), "{e:?}");
        let list = summary(&e, &all_inputs(&f));
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].0, "correction-nom_naissance");
    }

    #[test]
    fn edits_are_written_back_into_the_request() {
        let mut demande = stored();
        set_value(&mut demande, "nom_naissance", "Diallo".into());
        set_value(&mut demande, "prenoms.1", "Marie-Louise".into());
        set_value(&mut demande, "situation.role", "GENR12".into());
        set_value(&mut demande, "lieu_naissance.commune_cog", String::new());
        assert_eq!(demande.input.nom_naissance, "Diallo");
        assert_eq!(demande.input.prenoms, ["Awa", "Marie-Louise"]);
        assert_eq!(demande.input.situation.role, "GENR12");
        assert_eq!(demande.input.lieu_naissance.commune_cog, None);
    }

    #[test]
    fn a_mismatched_email_confirmation_is_reported_on_its_input() {
        let mut demande = stored();
        let f = forms(&["email"], &demande);
        set_value(&mut demande, "email", "awa@exemple.org".into());
        let e = errors(&demande, &f, today());
        assert!(e.contains("email_confirmation"), "{e:?}");
        let inputs = all_inputs(&f);
        assert_eq!(
            field_id("email_confirmation", &inputs),
            "correction-email_confirmation"
        );
    }

    #[test]
    fn a_bad_iso_date_is_reported() {
        let mut demande = stored();
        let f = forms(&["date_naissance"], &demande);
        set_value(&mut demande, "date_naissance", "03/11/1988".into());
        assert!(errors(&demande, &f, today()).contains("date_naissance"));
    }

    #[test]
    fn a_free_text_commune_is_checked_with_its_own_rule() {
        let mut demande = stored();
        demande.input.lieu_naissance = BirthPlaceInput::default();
        demande.commune_libre = Some(CommuneLibreInput {
            nom: "Montréjeau".into(),
            departement: "31".into(),
        });
        let f = forms(&["lieu_naissance"], &demande);
        assert!(errors(&demande, &f, today()).is_empty());
        set_value(&mut demande, "commune_libre.departement", "999".into());
        let e = errors(&demande, &f, today());
        assert!(
            e.iter().any(|(k, _)| k.starts_with("commune_libre")),
            "{e:?}"
        );
    }

    #[test]
    fn the_server_errors_win_and_unknown_keys_still_show() {
        let mut client = FieldErrors::new();
        client.add("nom_naissance", "client");
        let mut server = FieldErrors::new();
        server.add("nom_naissance", "serveur");
        server.add("site_id", "autre");
        let m = merged(&client, &server);
        assert_eq!(m.get("nom_naissance"), Some(&["serveur".to_owned()][..]));
        let inputs = all_inputs(&forms(&["nom_naissance"], &stored()));
        let list = summary(&m, &inputs);
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].0, "correction-nom_naissance");
        assert_eq!(list[1].0, "correction-site_id");
    }
}
