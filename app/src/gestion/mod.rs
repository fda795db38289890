//! The gestionnaire space: the plain-Rust logic behind its pages (tested natively), and the pages themselves in
//! [`pages`] (thin components over this logic and `crate::api`).

pub mod annuaire;
pub mod enregistrer;
pub mod integration;
pub mod pages;
pub mod professionnels;

use shared::api::{
    Correction, DecisionRequest, PreRegistrationStatusCode, QueueFlags, StatusCounts,
};

/// Addresses of the gestionnaire space.
pub const CONNEXION: &str = "/gestion/connexion";
pub const DEMANDES: &str = "/gestion/demandes";

/// The address of one request's page.
pub fn demande_href(id: i64) -> String {
    format!("{DEMANDES}/{id}")
}

/// The smallest password the server accepts (see the policy in `server::auth::check_password`).
pub const MIN_PASSWORD_CHARS: usize = 12;

/// The password policy, as explained above the field.
pub const PASSWORD_POLICY: &str = "Au moins 12 caractères, en mélangeant au moins trois sortes de caractères parmi \
     minuscules, majuscules, chiffres et symboles (ou deux sortes à partir de 20 caractères, par exemple une \
     phrase). Il ne doit pas contenir votre adresse email.";

/// The message of a locked sign-in, with the wait in minutes (rounded up) or seconds.
pub fn lockout_message(retry_after_secs: Option<u64>) -> String {
    match retry_after_secs {
        Some(secs) if secs >= 60 => {
            let minutes = secs.div_ceil(60);
            let unit = if minutes > 1 { "minutes" } else { "minute" };
            format!(
                "Trop de tentatives de connexion : l'accès est bloqué. Réessayez dans {minutes} {unit}."
            )
        }
        Some(secs) => {
            let unit = if secs > 1 { "secondes" } else { "seconde" };
            format!(
                "Trop de tentatives de connexion : l'accès est bloqué. Réessayez dans {secs} {unit}."
            )
        }
        None => {
            "Trop de tentatives de connexion : l'accès est bloqué. Réessayez plus tard.".to_owned()
        }
    }
}

/// One error of a form: the field's id and the message (for the error summary and the field itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

fn error(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError {
        field,
        message: message.into(),
    }
}

/// Checks the sign-in form before sending it.
pub fn check_sign_in(email: &str, password: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if email.trim().is_empty() {
        errors.push(error("email", "Saisissez votre adresse email."));
    } else if !email.contains('@') {
        errors.push(error("email", "L'adresse email doit contenir un @."));
    }
    if password.is_empty() {
        errors.push(error("password", "Saisissez votre mot de passe."));
    }
    errors
}

/// Checks the password form before sending it (the server checks the rest of the policy).
pub fn check_new_password(password: &str, confirmation: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if password.chars().count() < MIN_PASSWORD_CHARS {
        errors.push(error(
            "password",
            format!("Le mot de passe doit comporter au moins {MIN_PASSWORD_CHARS} caractères."),
        ));
    }
    if confirmation.is_empty() {
        errors.push(error(
            "confirmation",
            "Saisissez le mot de passe une seconde fois.",
        ));
    } else if confirmation != password {
        errors.push(error(
            "confirmation",
            "Les deux mots de passe ne sont pas identiques.",
        ));
    }
    errors
}

/// The status tabs of the queue, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    ATraiter,
    ACompleter,
    Validee,
    Refusee,
    Toutes,
}

impl Tab {
    pub const ALL: [Tab; 5] = [
        Tab::ATraiter,
        Tab::ACompleter,
        Tab::Validee,
        Tab::Refusee,
        Tab::Toutes,
    ];

    /// The `status` query value.
    pub fn code(self) -> &'static str {
        match self {
            Tab::ATraiter => "a_traiter",
            Tab::ACompleter => "a_completer",
            Tab::Validee => "validee",
            Tab::Refusee => "refusee",
            Tab::Toutes => "toutes",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Tab::ATraiter => "À traiter",
            Tab::ACompleter => "À compléter",
            Tab::Validee => "Validées",
            Tab::Refusee => "Refusées",
            Tab::Toutes => "Toutes",
        }
    }

    /// How many requests the tab holds.
    pub fn count(self, counts: &StatusCounts) -> i64 {
        match self {
            Tab::ATraiter => counts.recue + counts.en_cours,
            Tab::ACompleter => counts.a_completer,
            Tab::Validee => counts.validee,
            Tab::Refusee => counts.refusee,
            Tab::Toutes => {
                counts.recue
                    + counts.en_cours
                    + counts.a_completer
                    + counts.validee
                    + counts.refusee
            }
        }
    }
}

/// The filters of the queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueFilter {
    pub tab: Tab,
    pub site_id: Option<i64>,
    pub role: String,
    pub metier: String,
    pub older_than_days: Option<u32>,
}

impl Default for QueueFilter {
    fn default() -> Self {
        Self {
            tab: Tab::ATraiter,
            site_id: None,
            role: String::new(),
            metier: String::new(),
            older_than_days: None,
        }
    }
}

/// The age filter's choices: (days, label).
pub const AGE_CHOICES: [(u32, &str); 3] = [
    (2, "Plus de 2 jours"),
    (7, "Plus de 7 jours"),
    (30, "Plus de 30 jours"),
];

impl QueueFilter {
    /// The query string of `GET /api/v1/gestion/demandes`, with the page's `cursor` when loading more.
    pub fn query(&self, cursor: Option<&str>) -> String {
        let mut query = format!("status={}", self.tab.code());
        if let Some(site) = self.site_id {
            query.push_str(&format!("&site_id={site}"));
        }
        if !self.role.is_empty() {
            query.push_str(&format!("&role={}", crate::api::encode_query(&self.role)));
        }
        if !self.metier.is_empty() {
            query.push_str(&format!(
                "&metier={}",
                crate::api::encode_query(&self.metier)
            ));
        }
        if let Some(days) = self.older_than_days {
            query.push_str(&format!("&older_than_days={days}"));
        }
        if let Some(cursor) = cursor {
            query.push_str(&format!("&cursor={}", crate::api::encode_query(cursor)));
        }
        query
    }
}

/// The text badges of a queue row or a request.
pub fn badges(flags: &QueueFlags) -> Vec<&'static str> {
    let mut badges = Vec::new();
    if flags.possible_duplicate {
        badges.push("Doublon possible");
    }
    if flags.rpps_existant_declare {
        badges.push("RPPS déclaré");
    }
    if !flags.email_confirmed {
        badges.push("Email non confirmé");
    }
    if flags.commune_saisie_libre {
        badges.push("Commune saisie à la main");
    }
    if flags.deja_renvoyee {
        badges.push("Déjà renvoyée");
    }
    badges
}

/// "aujourd'hui", "1 jour", "12 jours".
pub fn age_label(days: i64) -> String {
    match days {
        i64::MIN..=0 => "Aujourd'hui".to_owned(),
        1 => "1 jour".to_owned(),
        n => format!("{n} jours"),
    }
}

/// What a key does in the queue's rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RowMove {
    Next,
    Previous,
}

impl RowMove {
    /// `j` / ↓ go to the next row, `k` / ↑ to the previous one.
    pub fn of_key(key: &str) -> Option<Self> {
        match key {
            "j" | "ArrowDown" => Some(Self::Next),
            "k" | "ArrowUp" => Some(Self::Previous),
            _ => None,
        }
    }

    /// The row to focus from `current` (none focused yet: the first) among `len` rows; stays at the ends.
    pub fn target(self, current: Option<usize>, len: usize) -> Option<usize> {
        if len == 0 {
            return None;
        }
        Some(match (self, current) {
            (_, None) => 0,
            (Self::Next, Some(i)) => (i + 1).min(len - 1),
            (Self::Previous, Some(i)) => i.saturating_sub(1).min(len - 1),
        })
    }
}

/// The id of the link of the queue's row `index` (focus moves between them).
pub fn row_link_id(index: usize) -> String {
    format!("demande-{index}")
}

/// The reasons of a refusal: (code, label).
pub const REJECT_REASONS: [(&str, &str); 5] = [
    ("identite_non_verifiee", "Identité non vérifiée"),
    ("hors_perimetre", "Hors du périmètre de l'établissement"),
    (
        "doublon",
        "Doublon d'une autre demande ou d'un numéro existant",
    ),
    ("non_eligible", "Professionnel non éligible"),
    ("autre", "Autre motif"),
];

/// The fields a gestionnaire may ask to correct: (form key, label).
pub const CORRECTABLE_FIELDS: [(&str, &str); 9] = [
    ("nom_naissance", "Nom de naissance"),
    ("prenoms", "Prénoms"),
    ("date_naissance", "Date de naissance"),
    ("lieu_naissance", "Lieu de naissance"),
    ("email", "Adresse email"),
    ("mobile", "Téléphone mobile"),
    ("metier", "Métier"),
    ("role", "Rôle"),
    ("document_id", "Pièce d'identité"),
];

/// The validation, attached to an existing RPPS number when one was chosen.
pub fn validate_request(
    attach_to_rpps: Option<String>,
    expected: PreRegistrationStatusCode,
) -> DecisionRequest {
    DecisionRequest {
        decision: "validate".to_owned(),
        reason: None,
        reason_code: None,
        corrections: None,
        attach_to_rpps,
        expected_status: Some(expected),
    }
}

/// The refusal, or what is missing for it.
pub fn reject_request(
    reason_code: &str,
    reason: &str,
    expected: PreRegistrationStatusCode,
) -> Result<DecisionRequest, Vec<FieldError>> {
    let mut errors = Vec::new();
    if !REJECT_REASONS.iter().any(|(code, _)| *code == reason_code) {
        errors.push(error("motif", "Choisissez le motif du refus."));
    }
    if reason_code == "autre" && reason.trim().is_empty() {
        errors.push(error(
            "motif-texte",
            "Expliquez le motif du refus : le professionnel recevra ce message.",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(DecisionRequest {
        decision: "reject".to_owned(),
        reason: Some(reason.trim().to_owned()).filter(|r| !r.is_empty()),
        reason_code: Some(reason_code.to_owned()),
        corrections: None,
        attach_to_rpps: None,
        expected_status: Some(expected),
    })
}

/// The return for correction of the chosen fields (each named by its label), with the message to the professional,
/// or what is missing for it.
pub fn return_request(
    fields: &[String],
    message: &str,
    expected: PreRegistrationStatusCode,
) -> Result<DecisionRequest, Vec<FieldError>> {
    let mut errors = Vec::new();
    if fields.is_empty() {
        errors.push(error(
            "champs",
            "Choisissez au moins une information à corriger.",
        ));
    }
    if message.trim().is_empty() {
        errors.push(error(
            "message-complement",
            "Dites au professionnel ce qu'il doit corriger.",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(DecisionRequest {
        decision: "return".to_owned(),
        reason: Some(message.trim().to_owned()),
        reason_code: None,
        corrections: Some(
            fields
                .iter()
                .map(|field| Correction {
                    field: field.clone(),
                    message: CORRECTABLE_FIELDS
                        .iter()
                        .find(|(key, _)| key == field)
                        .map_or(field.as_str(), |(_, label)| label)
                        .to_owned(),
                })
                .collect(),
        ),
        attach_to_rpps: None,
        expected_status: Some(expected),
    })
}

/// Whether a decision can still be taken on a request in this status.
pub fn decidable(status: PreRegistrationStatusCode) -> bool {
    matches!(
        status,
        PreRegistrationStatusCode::Recue | PreRegistrationStatusCode::EnCours
    )
}

/// The sentence shown (and focused) after a decision.
pub fn decision_message(result: &shared::api::DecisionResult) -> String {
    match (result.status, &result.rpps) {
        (PreRegistrationStatusCode::Validee, Some(rpps)) if result.identity_reused => format!(
            "Demande validée : le professionnel est rattaché à son numéro RPPS existant {rpps}."
        ),
        (PreRegistrationStatusCode::Validee, Some(rpps)) => {
            format!("Demande validée. Numéro RPPS attribué : {rpps}.")
        }
        (PreRegistrationStatusCode::Validee, None) => "Demande validée.".to_owned(),
        (PreRegistrationStatusCode::Refusee, _) => {
            "Demande refusée. Le professionnel est prévenu par email.".to_owned()
        }
        (PreRegistrationStatusCode::ACompleter, _) => {
            "Demande renvoyée pour complément. Le professionnel est prévenu par email.".to_owned()
        }
        (status, _) => format!("Demande enregistrée : {}.", status.label()),
    }
}

/// Whether a document is an image (shown in `<img>`) rather than a PDF (in a sandboxed `<iframe>`).
pub fn is_image(content_type: &str) -> bool {
    content_type.starts_with("image/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::api::DecisionResult;

    #[test]
    fn lockouts_say_how_long_to_wait() {
        assert!(lockout_message(Some(900)).ends_with("Réessayez dans 15 minutes."));
        assert!(lockout_message(Some(61)).ends_with("Réessayez dans 2 minutes."));
        assert!(lockout_message(Some(60)).ends_with("Réessayez dans 1 minute."));
        assert!(lockout_message(Some(30)).ends_with("Réessayez dans 30 secondes."));
        assert!(lockout_message(None).ends_with("Réessayez plus tard."));
    }

    #[test]
    fn sign_in_needs_both_fields() {
        let errors = check_sign_in("", "");
        assert_eq!(
            errors.iter().map(|e| e.field).collect::<Vec<_>>(),
            ["email", "password"]
        );
        assert_eq!(
            check_sign_in("a-b", "x")[0].message,
            "L'adresse email doit contenir un @."
        );
        assert!(check_sign_in("a@b.fr", "x").is_empty());
    }

    #[test]
    fn new_passwords_are_long_and_confirmed() {
        assert_eq!(check_new_password("court", "court")[0].field, "password");
        let mismatch = check_new_password("Un-mot-de-passe-1", "Un-mot-de-passe-2");
        assert_eq!(mismatch.len(), 1);
        assert_eq!(mismatch[0].field, "confirmation");
        assert!(check_new_password("Un-mot-de-passe-1", "Un-mot-de-passe-1").is_empty());
    }

    #[test]
    fn queue_queries_carry_the_filters_and_the_cursor() {
        assert_eq!(QueueFilter::default().query(None), "status=a_traiter");
        let filter = QueueFilter {
            tab: Tab::Toutes,
            site_id: Some(4),
            role: "GENR08".into(),
            metier: "326".into(),
            older_than_days: Some(7),
        };
        assert_eq!(
            filter.query(Some("a b")),
            "status=toutes&site_id=4&role=GENR08&metier=326&older_than_days=7&cursor=a%20b"
        );
    }

    #[test]
    fn tabs_count_their_statuses() {
        let counts = StatusCounts {
            recue: 2,
            en_cours: 1,
            a_completer: 3,
            validee: 4,
            refusee: 5,
        };
        let all: Vec<i64> = Tab::ALL.iter().map(|t| t.count(&counts)).collect();
        assert_eq!(all, [3, 3, 4, 5, 15]);
    }

    #[test]
    fn flags_become_text_badges() {
        let flags = QueueFlags {
            possible_duplicate: true,
            email_confirmed: true,
            ..QueueFlags::default()
        };
        assert_eq!(badges(&flags), ["Doublon possible"]);
        assert_eq!(badges(&QueueFlags::default()), ["Email non confirmé"]);
        assert_eq!(age_label(0), "Aujourd'hui");
        assert_eq!(age_label(1), "1 jour");
        assert_eq!(age_label(9), "9 jours");
    }

    #[test]
    fn keys_move_through_the_rows_without_leaving_them() {
        assert_eq!(RowMove::of_key("j"), Some(RowMove::Next));
        assert_eq!(RowMove::of_key("ArrowUp"), Some(RowMove::Previous));
        assert_eq!(RowMove::of_key("x"), None);
        assert_eq!(RowMove::Next.target(None, 3), Some(0));
        assert_eq!(RowMove::Next.target(Some(0), 3), Some(1));
        assert_eq!(RowMove::Next.target(Some(2), 3), Some(2));
        assert_eq!(RowMove::Previous.target(Some(0), 3), Some(0));
        assert_eq!(RowMove::Previous.target(Some(2), 3), Some(1));
        assert_eq!(RowMove::Previous.target(None, 0), None);
    }

    #[test]
    fn decisions_are_built_or_say_what_is_missing() {
        let expected = PreRegistrationStatusCode::Recue;
        let validate = validate_request(Some("10000000001".into()), expected);
        assert_eq!(validate.decision, "validate");
        assert_eq!(validate.attach_to_rpps.as_deref(), Some("10000000001"));
        let json = serde_json::to_value(&validate).expect("serialisable");
        assert_eq!(json["expected_status"], "recue");

        assert_eq!(
            reject_request("", "", expected).expect_err("no reason")[0].field,
            "motif"
        );
        let missing = reject_request("autre", " ", expected).expect_err("unexplained");
        assert_eq!(missing[0].field, "motif-texte");
        let plain = reject_request("hors_perimetre", " ", expected).expect("a listed reason");
        assert_eq!(plain.reason, None);
        let reject = reject_request("doublon", " Déjà inscrit. ", expected).expect("complete");
        assert_eq!(reject.reason_code.as_deref(), Some("doublon"));
        assert_eq!(reject.reason.as_deref(), Some("Déjà inscrit."));

        assert_eq!(
            return_request(&[], "x", expected).expect_err("no field")[0].field,
            "champs"
        );
        let back = return_request(&["email".into(), "mobile".into()], "Vérifiez.", expected)
            .expect("complete");
        let corrections = back.corrections.expect("corrections");
        assert_eq!(corrections.len(), 2);
        assert_eq!(corrections[1].field, "mobile");
        assert_eq!(corrections[1].message, "Téléphone mobile");
        assert_eq!(back.reason.as_deref(), Some("Vérifiez."));
    }

    #[test]
    fn results_name_the_rpps_number() {
        let result = DecisionResult {
            id: 1,
            status: PreRegistrationStatusCode::Validee,
            rpps: Some("10000000017".into()),
            identity_reused: false,
        };
        assert_eq!(
            decision_message(&result),
            "Demande validée. Numéro RPPS attribué : 10000000017."
        );
        assert!(decidable(PreRegistrationStatusCode::EnCours));
        assert!(!decidable(PreRegistrationStatusCode::Validee));
        assert!(is_image("image/png") && !is_image("application/pdf"));
    }
}
