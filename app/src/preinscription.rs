//! The logic of the pre-registration form, in plain Rust (tested natively): the draft kept in session storage, the
//! six steps, the request built from the draft, and the validation of each step with the very `shared` code the
//! server runs, so that the form and the API say the same thing in the same words.

#[cfg(test)]
use serde::{Deserialize, Serialize};
use shared::api::{
    BirthPlaceInput, CommuneLibreInput, PreRegistrationInput, PreRegistrationRequest,
    SituationInput,
};
use shared::birthplace::CommuneLibre;
use shared::date::CalendarDate;
use shared::error::FieldErrors;
use shared::preregistration::PreRegistration;

use crate::json::{self, Invalid, ObjectWriter, Value};

/// The steps of the form, in order; the intro ("avant de commencer") is step 0.
pub const STEPS: [&str; 6] = [
    "Établissement",
    "Information sur vos données",
    "État civil",
    "Coordonnées",
    "Situation d'exercice",
    "Pièce d'identité et envoi",
];

pub const LAST_STEP: u8 = 6;

/// "Étape 2 sur 6".
pub fn progress(step: u8) -> String {
    format!("Étape {step} sur {LAST_STEP}")
}

/// The title of step `step` (1-based).
pub fn step_title(step: u8) -> &'static str {
    STEPS
        .get(usize::from(step.clamp(1, LAST_STEP)) - 1)
        .copied()
        .unwrap_or_default()
}

/// The establishment chosen in step 1.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(test, derive(Serialize, Deserialize))]
pub struct SiteChoice {
    pub id: i64,
    pub nom: String,
    pub finess: String,
    pub commune: Option<String>,
}

/// A commune or a country chosen from the API's search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(test, derive(Serialize, Deserialize))]
pub struct PlaceChoice {
    pub code: String,
    pub label: String,
}

/// The identity document once uploaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(test, derive(Serialize, Deserialize))]
pub struct DocumentChoice {
    pub id: String,
    pub file_name: String,
    pub content_type: String,
    pub size: u64,
}

/// Where the person was born.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(test, derive(Serialize, Deserialize))]
pub enum BirthCountry {
    #[default]
    Unknown,
    France,
    Abroad,
}

/// Everything typed so far, as kept in session storage: a reload loses nothing, not even the step.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(test, derive(Serialize, Deserialize))]
#[cfg_attr(test, serde(default))]
pub struct Draft {
    /// 0 = the intro, then 1 to 6.
    pub step: u8,
    pub site: Option<SiteChoice>,
    /// The site came from a `?finess=` link.
    pub site_from_link: bool,
    /// "Avez-vous déjà un numéro RPPS ?": None until answered.
    pub has_rpps: Option<bool>,
    pub rpps: String,
    /// The version of the notice ticked as read; empty while not ticked.
    pub notice_version: String,
    pub civilite: String,
    pub nom_naissance: String,
    pub prenoms: Vec<String>,
    pub naissance_jour: String,
    pub naissance_mois: String,
    pub naissance_annee: String,
    pub birth_country: BirthCountry,
    pub commune: Option<PlaceChoice>,
    /// "Je ne trouve pas ma commune": typed as free text with its département.
    pub commune_introuvable: bool,
    pub commune_libre_nom: String,
    pub commune_libre_departement: String,
    pub pays: Option<PlaceChoice>,
    pub ville_etrangere: String,
    pub email: String,
    pub email_confirmation: String,
    pub mobile: String,
    pub metier: String,
    pub role: String,
    pub mode_exercice: String,
    pub prise_jour: String,
    pub prise_mois: String,
    pub prise_annee: String,
    pub nom_exercice: String,
    pub prenom_exercice: String,
    pub document: Option<DocumentChoice>,
    /// Generated once per submission attempt and kept, so that a retry after a timeout is recognised.
    pub idempotency_key: Option<String>,
    /// A hash of the body the key was made for: a different body gets a new key.
    pub idempotency_for: u64,
}

/// The draft as kept in session storage: the JSON serde's derives wrote before (a draft kept by an earlier version
/// of the app still loads), written and read by hand (see [`crate::json`]).
impl Draft {
    pub fn to_json(&self) -> String {
        let opt = |out: &mut ObjectWriter, key: &str, json: Option<String>| {
            out.raw(key, json.as_deref().unwrap_or("null"));
        };
        let place = |p: &PlaceChoice| {
            ObjectWriter::new()
                .str("code", &p.code)
                .str("label", &p.label)
                .finish()
        };
        let mut out = ObjectWriter::new();
        out.uint("step", u64::from(self.step));
        let site = self.site.as_ref().map(|s| {
            ObjectWriter::new()
                .int("id", s.id)
                .str("nom", &s.nom)
                .str("finess", &s.finess)
                .opt_str("commune", s.commune.as_deref())
                .finish()
        });
        opt(&mut out, "site", site);
        out.bool("site_from_link", self.site_from_link);
        match self.has_rpps {
            Some(has) => out.bool("has_rpps", has),
            None => out.raw("has_rpps", "null"),
        };
        out.str("rpps", &self.rpps)
            .str("notice_version", &self.notice_version)
            .str("civilite", &self.civilite)
            .str("nom_naissance", &self.nom_naissance)
            .strs("prenoms", &self.prenoms)
            .str("naissance_jour", &self.naissance_jour)
            .str("naissance_mois", &self.naissance_mois)
            .str("naissance_annee", &self.naissance_annee)
            .str(
                "birth_country",
                match self.birth_country {
                    BirthCountry::Unknown => "Unknown",
                    BirthCountry::France => "France",
                    BirthCountry::Abroad => "Abroad",
                },
            );
        opt(&mut out, "commune", self.commune.as_ref().map(place));
        out.bool("commune_introuvable", self.commune_introuvable)
            .str("commune_libre_nom", &self.commune_libre_nom)
            .str("commune_libre_departement", &self.commune_libre_departement);
        opt(&mut out, "pays", self.pays.as_ref().map(place));
        for (key, value) in [
            ("ville_etrangere", &self.ville_etrangere),
            ("email", &self.email),
            ("email_confirmation", &self.email_confirmation),
            ("mobile", &self.mobile),
            ("metier", &self.metier),
            ("role", &self.role),
            ("mode_exercice", &self.mode_exercice),
            ("prise_jour", &self.prise_jour),
            ("prise_mois", &self.prise_mois),
            ("prise_annee", &self.prise_annee),
            ("nom_exercice", &self.nom_exercice),
            ("prenom_exercice", &self.prenom_exercice),
        ] {
            out.str(key, value);
        }
        let document = self.document.as_ref().map(|d| {
            ObjectWriter::new()
                .str("id", &d.id)
                .str("file_name", &d.file_name)
                .str("content_type", &d.content_type)
                .uint("size", d.size)
                .finish()
        });
        opt(&mut out, "document", document);
        out.opt_str("idempotency_key", self.idempotency_key.as_deref())
            .uint("idempotency_for", self.idempotency_for);
        out.finish()
    }

    /// The draft kept in session storage; `None` when it is not one (every member may be missing).
    pub fn from_json(text: &str) -> Option<Self> {
        Self::read(&json::parse(text).ok()?).ok()
    }

    fn read(value: &Value) -> json::Read<Self> {
        let o = value.object()?;
        let s = |key| o.string_or_default(key);
        let b = |key| o.or_default(key, Value::bool);
        let place = |key| {
            o.opt(key, |v| {
                let p = v.object()?;
                Ok(PlaceChoice {
                    code: p.string("code")?,
                    label: p.string("label")?,
                })
            })
        };
        Ok(Self {
            step: o.or_default("step", |v| u8::try_from(v.u64()?).map_err(|_| Invalid))?,
            site: o.opt("site", |v| {
                let s = v.object()?;
                Ok(SiteChoice {
                    id: s.req("id", Value::i64)?,
                    nom: s.string("nom")?,
                    finess: s.string("finess")?,
                    commune: s.opt_string("commune")?,
                })
            })?,
            site_from_link: b("site_from_link")?,
            has_rpps: o.opt("has_rpps", Value::bool)?,
            rpps: s("rpps")?,
            notice_version: s("notice_version")?,
            civilite: s("civilite")?,
            nom_naissance: s("nom_naissance")?,
            prenoms: o.strings_or_default("prenoms")?,
            naissance_jour: s("naissance_jour")?,
            naissance_mois: s("naissance_mois")?,
            naissance_annee: s("naissance_annee")?,
            birth_country: o.or_default("birth_country", |v| match v {
                Value::String(c) if c == "Unknown" => Ok(BirthCountry::Unknown),
                Value::String(c) if c == "France" => Ok(BirthCountry::France),
                Value::String(c) if c == "Abroad" => Ok(BirthCountry::Abroad),
                _ => Err(Invalid),
            })?,
            commune: place("commune")?,
            commune_introuvable: b("commune_introuvable")?,
            commune_libre_nom: s("commune_libre_nom")?,
            commune_libre_departement: s("commune_libre_departement")?,
            pays: place("pays")?,
            ville_etrangere: s("ville_etrangere")?,
            email: s("email")?,
            email_confirmation: s("email_confirmation")?,
            mobile: s("mobile")?,
            metier: s("metier")?,
            role: s("role")?,
            mode_exercice: s("mode_exercice")?,
            prise_jour: s("prise_jour")?,
            prise_mois: s("prise_mois")?,
            prise_annee: s("prise_annee")?,
            nom_exercice: s("nom_exercice")?,
            prenom_exercice: s("prenom_exercice")?,
            document: o.opt("document", |v| {
                let d = v.object()?;
                Ok(DocumentChoice {
                    id: d.string("id")?,
                    file_name: d.string("file_name")?,
                    content_type: d.string("content_type")?,
                    size: d.req("size", Value::u64)?,
                })
            })?,
            idempotency_key: o.opt_string("idempotency_key")?,
            idempotency_for: o.or_default("idempotency_for", Value::u64)?,
        })
    }
}

/// `YYYY-MM-DD` from three fields as typed; blank when all three are, and something the shared parser refuses when
/// a field is not a number.
pub fn iso_date(day: &str, month: &str, year: &str) -> String {
    let (day, month, year) = (day.trim(), month.trim(), year.trim());
    if day.is_empty() && month.is_empty() && year.is_empty() {
        return String::new();
    }
    format!("{year:0>4}-{month:0>2}-{day:0>2}")
}

/// A three-field date is complete and numeric, or the message saying what to fix (the shared parsers then check
/// the date itself). `what` is "de naissance" or "de prise de fonction".
fn date_fields_message(day: &str, month: &str, year: &str, what: &str) -> Option<String> {
    let numeric = |s: &str, max_len: usize| {
        let s = s.trim();
        !s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit())
    };
    let blank = [day, month, year].iter().all(|s| s.trim().is_empty());
    if blank {
        return None;
    }
    if numeric(day, 2) && numeric(month, 2) && year.trim().len() == 4 && numeric(year, 4) {
        None
    } else {
        Some(format!(
            "Indiquez la date {what} en chiffres : le jour, le mois et l'année sur 4 chiffres, par exemple 23 4 1985."
        ))
    }
}

fn blank_to_none(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

impl Draft {
    /// The request body the draft makes.
    pub fn to_request(&self) -> PreRegistrationRequest {
        let libre = self.birth_country == BirthCountry::France && self.commune_introuvable;
        let lieu_naissance = match self.birth_country {
            BirthCountry::France if !libre => BirthPlaceInput {
                commune_cog: self.commune.as_ref().map(|c| c.code.clone()),
                ..BirthPlaceInput::default()
            },
            BirthCountry::Abroad => BirthPlaceInput {
                commune_cog: None,
                pays_cog: self.pays.as_ref().map(|p| p.code.clone()),
                ville_etrangere: blank_to_none(&self.ville_etrangere),
            },
            _ => BirthPlaceInput::default(),
        };
        PreRegistrationRequest {
            input: PreRegistrationInput {
                civilite: self.civilite.clone(),
                nom_naissance: self.nom_naissance.clone(),
                prenoms: self.prenoms.clone(),
                date_naissance: iso_date(
                    &self.naissance_jour,
                    &self.naissance_mois,
                    &self.naissance_annee,
                ),
                lieu_naissance,
                email: self.email.clone(),
                email_confirmation: self.email_confirmation.clone(),
                mobile: self.mobile.clone(),
                situation: SituationInput {
                    finess: self
                        .site
                        .as_ref()
                        .map(|s| s.finess.clone())
                        .unwrap_or_default(),
                    nom_exercice: self.nom_exercice.clone(),
                    prenom_exercice: self.prenom_exercice.clone(),
                    metier: self.metier.clone(),
                    role: self.role.clone(),
                    mode_exercice: self.mode_exercice.clone(),
                    date_prise_fonction: iso_date(
                        &self.prise_jour,
                        &self.prise_mois,
                        &self.prise_annee,
                    ),
                },
                rpps_existant: if self.has_rpps == Some(true) {
                    Some(self.rpps.trim().to_owned())
                } else {
                    None
                },
                notice_version: self.notice_version.clone(),
            },
            site_id: self.site.as_ref().map(|s| s.id),
            document_id: self
                .document
                .as_ref()
                .map(|d| d.id.clone())
                .unwrap_or_default(),
            commune_libre: libre.then(|| CommuneLibreInput {
                nom: self.commune_libre_nom.clone(),
                departement: self.commune_libre_departement.clone(),
            }),
        }
    }

    /// The prénoms as fields: at least one, empty, to type into.
    pub fn prenom_fields(&self) -> Vec<String> {
        if self.prenoms.is_empty() {
            vec![String::new()]
        } else {
            self.prenoms.clone()
        }
    }

    /// Fills the nom and prénom d'exercice from the état civil the first time step 5 opens.
    pub fn prefill_exercice(&mut self) {
        if self.nom_exercice.trim().is_empty() {
            self.nom_exercice = self.nom_naissance.trim().to_owned();
        }
        if self.prenom_exercice.trim().is_empty() {
            self.prenom_exercice = self
                .prenoms
                .first()
                .map(|p| p.trim().to_owned())
                .unwrap_or_default();
        }
    }

    /// Every error of the whole draft, keyed as the API keys them.
    pub fn errors(&self, today: CalendarDate) -> FieldErrors {
        let request = self.to_request();
        let mut errors = match PreRegistration::try_from_input(request.input, today) {
            Ok(_) => FieldErrors::new(),
            Err(errors) => errors,
        };
        let mut extra = FieldErrors::new();
        // The site gives the FINESS: its errors belong to the choice of the site.
        if self.site.is_none() {
            extra.add("site_id", "Choisissez l'établissement où vous travaillez.");
        }
        if self.has_rpps.is_none() {
            extra.add("has_rpps", "Indiquez si vous avez déjà un numéro RPPS.");
        } else if self.has_rpps == Some(true) && self.rpps.trim().is_empty() {
            extra.add(
                "rpps_existant",
                "Indiquez votre numéro RPPS (11 chiffres), ou répondez « Non ».",
            );
        }
        for (key, day, month, year, what) in [
            (
                "date_naissance",
                &self.naissance_jour,
                &self.naissance_mois,
                &self.naissance_annee,
                "de naissance",
            ),
            (
                "situation.date_prise_fonction",
                &self.prise_jour,
                &self.prise_mois,
                &self.prise_annee,
                "de prise de fonction",
            ),
        ] {
            if let Some(message) = date_fields_message(day, month, year, what) {
                replace(&mut errors, key, message);
            }
        }
        match self.birth_country {
            BirthCountry::Unknown => replace(
                &mut errors,
                "lieu_naissance",
                "Indiquez si vous êtes né(e) en France ou à l'étranger.".to_owned(),
            ),
            BirthCountry::France if self.commune_introuvable => {
                remove_prefix(&mut errors, "lieu_naissance");
                commune_libre_errors(&self.commune_libre_nom, &self.commune_libre_departement, &mut extra);
            }
            BirthCountry::France if self.commune.is_none() => replace(
                &mut errors,
                "lieu_naissance",
                "Choisissez votre commune de naissance dans la liste, ou cochez « Je ne trouve pas ma commune ».".to_owned(),
            ),
            BirthCountry::Abroad if self.pays.is_none() => {
                replace(&mut errors, "lieu_naissance", "Choisissez votre pays de naissance dans la liste.".to_owned());
            }
            _ => {}
        }
        if self.document.is_none() {
            extra.add("document_id", "Joignez la copie de votre pièce d'identité.");
        }
        errors.merge_prefixed("", extra);
        errors
    }

    /// The errors of one step only.
    pub fn step_errors(&self, step: u8, today: CalendarDate) -> FieldErrors {
        let mut kept = FieldErrors::new();
        for (key, messages) in self.errors(today).iter() {
            if step_of_field(key) == step {
                for message in messages {
                    kept.add(key, message.clone());
                }
            }
        }
        kept
    }

    /// The first step that has an error among `errors`, if any.
    pub fn first_step_in_error(errors: &FieldErrors) -> Option<u8> {
        errors.iter().map(|(key, _)| step_of_field(key)).min()
    }
}

fn replace(errors: &mut FieldErrors, key: &str, message: String) {
    let mut inner = std::mem::take(errors).into_inner();
    inner.insert(key.to_owned(), vec![message]);
    *errors = inner.into();
}

fn remove_prefix(errors: &mut FieldErrors, prefix: &str) {
    *errors = keep_errors(errors, |key| {
        !(key == prefix || key.starts_with(&format!("{prefix}.")))
    });
}

/// The errors whose key `keep` accepts. Copied rather than removed in place: removing from the map would link the
/// B-tree's rebalancing code into the form's wasm for a handful of entries.
pub fn keep_errors(errors: &FieldErrors, keep: impl Fn(&str) -> bool) -> FieldErrors {
    let mut kept = FieldErrors::new();
    for (key, messages) in errors.iter().filter(|(key, _)| keep(key)) {
        for message in messages {
            kept.add(key, message.clone());
        }
    }
    kept
}

/// A commune typed as free text, checked with the same `shared` rule as the server.
fn commune_libre_errors(nom: &str, departement: &str, errors: &mut FieldErrors) {
    let input = CommuneLibreInput {
        nom: nom.to_owned(),
        departement: departement.to_owned(),
    };
    if let Err(libre_errors) = CommuneLibre::from_input(&input) {
        errors.merge_prefixed("lieu_naissance.commune_libre", libre_errors);
    }
}

/// The step whose fields an error key (the API's or the form's own) belongs to.
pub fn step_of_field(key: &str) -> u8 {
    let root = key.split('.').next().unwrap_or(key);
    match root {
        "site_id" | "has_rpps" | "rpps_existant" => 1,
        "situation" if key == "situation.finess" => 1,
        "notice_version" => 2,
        "civilite" | "nom_naissance" | "prenoms" | "date_naissance" | "lieu_naissance"
        | "commune_libre" => 3,
        "email" | "email_confirmation" | "mobile" => 4,
        "situation" => 5,
        _ => 6,
    }
}

/// The id of the element an error key points at (the error summary links to it, `aria-describedby` names its
/// message). The API's `commune_libre.*` keys (with the free-text commune) land on the same fields as the form's.
pub fn field_id(key: &str) -> String {
    let key = match key {
        "situation.finess" => "site_id",
        "prenoms" => "prenoms.0",
        _ => key,
    };
    let key = key.strip_prefix("commune_libre.").map_or_else(
        || key.to_owned(),
        |rest| format!("lieu_naissance.commune_libre.{rest}"),
    );
    key.replace('.', "-")
}

/// The field ids shown on each step, in page order: the error summary follows it.
pub fn order_in_step(key: &str) -> usize {
    const ORDER: [&str; 24] = [
        "site_id",
        "has_rpps",
        "rpps_existant",
        "notice_version",
        "civilite",
        "nom_naissance",
        "prenoms",
        "date_naissance",
        "lieu_naissance",
        "lieu_naissance-commune_libre-nom",
        "lieu_naissance-commune_libre-departement",
        "lieu_naissance-pays_cog",
        "lieu_naissance-ville_etrangere",
        "email",
        "email_confirmation",
        "mobile",
        "situation-metier",
        "situation-role",
        "situation-mode_exercice",
        "situation-date_prise_fonction",
        "situation-nom_exercice",
        "situation-prenom_exercice",
        "document_id",
        "",
    ];
    let id = field_id(key);
    ORDER
        .iter()
        .position(|o| !o.is_empty() && (id == *o || id.starts_with(&format!("{o}-"))))
        .unwrap_or(ORDER.len())
}

/// Errors sorted in the order of the fields on the page: `(key, field id, message)`.
pub fn summary(errors: &FieldErrors) -> Vec<(String, String, String)> {
    let mut list: Vec<(String, String, String)> = errors
        .iter()
        .filter_map(|(key, messages)| {
            messages
                .first()
                .map(|m| (key.to_owned(), field_id(key), m.clone()))
        })
        .collect();
    list.sort_by_key(|(key, _, _)| (order_in_step(key), key.clone()));
    list
}

/// A file size for people: "48 ko", "1,2 Mo".
pub fn human_size(bytes: u64) -> String {
    if bytes < 1_000_000 {
        format!("{} ko", bytes.div_ceil(1000))
    } else {
        // Integer tenths, rounded half up: formatting a float would link core's float printing (~10 kB of wasm).
        let tenths = (bytes + 50_000) / 100_000;
        format!("{},{} Mo", tenths / 10, tenths % 10)
    }
}

/// What the status page says about each state, in plain words.
pub fn status_explanation(status: shared::api::PreRegistrationStatusCode) -> &'static str {
    use shared::api::PreRegistrationStatusCode as S;
    match status {
        S::Recue => {
            "Votre demande est arrivée chez le gestionnaire RPPS+ de votre établissement. Il va vérifier votre \
             identité et votre situation d'exercice ; vous n'avez rien à faire pour l'instant."
        }
        S::EnCours => {
            "Votre gestionnaire examine votre demande. Il peut vous contacter si une information manque."
        }
        S::ACompleter => {
            "Votre gestionnaire a besoin d'un complément avant de valider votre demande. Voyez ci-dessous ce qu'il \
             demande, puis contactez-le ou répondez-lui comme indiqué."
        }
        S::Validee => {
            "Votre demande est validée : votre numéro RPPS vous a été attribué. Vous allez recevoir par SMS et par \
             email de quoi activer votre carte e-CPS."
        }
        S::Refusee => {
            "Votre demande a été refusée. Le motif est indiqué ci-dessous ; adressez-vous à votre établissement si \
             vous pensez qu'il s'agit d'une erreur."
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> CalendarDate {
        CalendarDate::from_ymd(2026, 11, 26).unwrap_or_else(|e| panic!("{e}"))
    }

    fn complete() -> Draft {
        Draft {
            step: 6,
            site: Some(SiteChoice {
                id: 1,
                nom: "EHPAD".into(),
                finess: "319999918".into(),
                commune: None,
            }),
            has_rpps: Some(false),
            notice_version: "2026-11-26.1".into(),
            civilite: "MME".into(),
            nom_naissance: "N'Diaye".into(),
            prenoms: vec!["Awa".into(), "Marie-Louise".into()],
            naissance_jour: "3".into(),
            naissance_mois: "11".into(),
            naissance_annee: "1988".into(),
            birth_country: BirthCountry::France,
            commune: Some(PlaceChoice {
                code: "2A004".into(),
                label: "Ajaccio".into(),
            }),
            email: "awa@exemple.fr".into(),
            email_confirmation: "awa@exemple.fr".into(),
            mobile: "06 12 34 56 78".into(),
            metier: "328".into(),
            role: "GENR11".into(),
            mode_exercice: "S".into(),
            prise_jour: "1".into(),
            prise_mois: "9".into(),
            prise_annee: "2024".into(),
            nom_exercice: "N'Diaye".into(),
            prenom_exercice: "Awa".into(),
            document: Some(DocumentChoice {
                id: "d".into(),
                ..DocumentChoice::default()
            }),
            ..Draft::default()
        }
    }

    #[test]
    fn a_complete_draft_has_no_error_and_makes_the_api_request() {
        let draft = complete();
        assert!(
            draft.errors(today()).is_empty(),
            "{:?}",
            draft.errors(today())
        );
        let request = draft.to_request();
        assert_eq!(request.input.date_naissance, "1988-11-03");
        assert_eq!(request.input.situation.date_prise_fonction, "2024-09-01");
        assert_eq!(request.input.situation.finess, "319999918");
        assert_eq!(
            request.input.lieu_naissance.commune_cog.as_deref(),
            Some("2A004")
        );
        assert_eq!(request.site_id, Some(1));
        assert_eq!(request.input.rpps_existant, None);
        assert!(request.commune_libre.is_none());
    }

    #[test]
    fn each_step_shows_only_its_own_errors_with_the_shared_messages() {
        let empty = Draft::default();
        let step3 = empty.step_errors(3, today());
        assert!(step3.iter().all(|(key, _)| step_of_field(key) == 3));
        assert!(step3.contains("nom_naissance") && step3.contains("civilite"));
        assert!(!step3.contains("email"));
        let mut draft = complete();
        draft.email = "awa@exemple".into();
        let step4 = draft.step_errors(4, today());
        let expected = shared::contact::Email::parse("awa@exemple")
            .expect_err("invalid")
            .to_string();
        assert_eq!(step4.get("email"), Some(&[expected][..]));
        assert!(draft.step_errors(3, today()).is_empty());
    }

    #[test]
    fn dates_are_typed_as_three_numeric_fields() {
        assert_eq!(iso_date(" 3", "11 ", "1988"), "1988-11-03");
        assert_eq!(iso_date("", "", ""), "");
        let mut draft = complete();
        draft.naissance_annee = "88".into();
        let errors = draft.step_errors(3, today());
        assert!(
            errors
                .get("date_naissance")
                .is_some_and(|m| m[0].contains("4 chiffres"))
        );
        draft.naissance_annee = "1988".into();
        draft.naissance_jour = "31".into();
        draft.naissance_mois = "4".into();
        let errors = draft.step_errors(3, today());
        assert!(
            errors
                .get("date_naissance")
                .is_some_and(|m| m[0].contains("calendrier"))
        );
    }

    #[test]
    fn birth_place_choices() {
        let mut draft = complete();
        draft.commune_introuvable = true;
        let errors = draft.step_errors(3, today());
        assert!(errors.contains("lieu_naissance.commune_libre.nom"));
        assert!(errors.contains("lieu_naissance.commune_libre.departement"));
        draft.commune_libre_nom = "Saint-Ancien".into();
        draft.commune_libre_departement = "2b".into();
        assert!(draft.errors(today()).is_empty());
        let request = draft.to_request();
        assert_eq!(request.input.lieu_naissance, BirthPlaceInput::default());
        assert_eq!(
            request.commune_libre.map(|l| l.nom),
            Some("Saint-Ancien".into())
        );
        draft.birth_country = BirthCountry::Abroad;
        draft.pays = Some(PlaceChoice {
            code: "99350".into(),
            label: "Maroc".into(),
        });
        assert!(
            draft
                .step_errors(3, today())
                .contains("lieu_naissance.ville_etrangere")
        );
        draft.ville_etrangere = "Rabat".into();
        assert!(draft.errors(today()).is_empty());
        assert!(draft.to_request().commune_libre.is_none());
    }

    #[test]
    fn api_error_keys_lead_back_to_their_step_and_field() {
        assert_eq!(step_of_field("situation.finess"), 1);
        assert_eq!(step_of_field("site_id"), 1);
        assert_eq!(step_of_field("notice_version"), 2);
        assert_eq!(step_of_field("prenoms.1"), 3);
        assert_eq!(step_of_field("lieu_naissance.commune_cog"), 3);
        assert_eq!(step_of_field("commune_libre.nom"), 3);
        assert_eq!(step_of_field("mobile"), 4);
        assert_eq!(step_of_field("situation.metier"), 5);
        assert_eq!(step_of_field("document_id"), 6);
        assert_eq!(field_id("prenoms.1"), "prenoms-1");
        assert_eq!(field_id("situation.finess"), "site_id");
        assert_eq!(
            field_id("commune_libre.nom"),
            "lieu_naissance-commune_libre-nom"
        );
        let mut errors = FieldErrors::new();
        errors.add("situation.metier", "m");
        errors.add("mobile", "p");
        assert_eq!(Draft::first_step_in_error(&errors), Some(4));
    }

    #[test]
    fn the_summary_follows_the_page_order() {
        let errors = Draft::default().step_errors(3, today());
        let ids: Vec<String> = summary(&errors).into_iter().map(|(_, id, _)| id).collect();
        assert_eq!(ids.first().map(String::as_str), Some("civilite"));
        assert!(
            ids.iter().position(|i| i == "nom_naissance")
                < ids.iter().position(|i| i == "date_naissance")
        );
    }

    #[test]
    fn exercice_names_are_prefilled_once() {
        let mut draft = complete();
        draft.nom_exercice.clear();
        draft.prenom_exercice = "Marie".into();
        draft.prefill_exercice();
        assert_eq!(
            (draft.nom_exercice.as_str(), draft.prenom_exercice.as_str()),
            ("N'Diaye", "Marie")
        );
    }

    #[test]
    fn the_rpps_question_must_be_answered() {
        let mut draft = complete();
        draft.has_rpps = None;
        assert!(draft.step_errors(1, today()).contains("has_rpps"));
        draft.has_rpps = Some(true);
        assert!(draft.step_errors(1, today()).contains("rpps_existant"));
        draft.rpps = "10000000001".into();
        assert_eq!(
            draft.to_request().input.rpps_existant.as_deref(),
            Some("10000000001")
        );
    }

    #[test]
    fn the_draft_survives_json() {
        let draft = complete();
        let json = draft.to_json();
        assert_eq!(Draft::from_json(&json), Some(draft.clone()));
        let old = Draft::from_json(r#"{"step":2}"#).expect("missing members are blank");
        assert_eq!(
            old,
            Draft {
                step: 2,
                ..Draft::default()
            }
        );
        assert_eq!(Draft::from_json("not json"), None);
        assert_eq!(Draft::from_json(r#"{"step":"2"}"#), None);
        assert_eq!(Draft::from_json(r#"{"step":256}"#), None);
    }

    /// The draft is kept as serde's derives kept it: one written by an earlier version of the app loads.
    #[test]
    fn the_draft_is_the_json_serde_wrote() {
        let mut drafts = vec![Draft::default(), complete()];
        let mut other = complete();
        other.site = Some(SiteChoice {
            id: -3,
            nom: "Foyer « Le Phare »\n".into(),
            finess: "2A0000001".into(),
            commune: Some("Ajaccio".into()),
        });
        other.has_rpps = Some(true);
        other.birth_country = BirthCountry::Abroad;
        other.commune = None;
        other.pays = Some(PlaceChoice {
            code: "99350".into(),
            label: "Maroc".into(),
        });
        other.document = Some(DocumentChoice {
            id: "doc".into(),
            file_name: "ma pièce.pdf".into(),
            content_type: "application/pdf".into(),
            size: 5_242_880,
        });
        other.idempotency_key = Some("3f2c".into());
        other.idempotency_for = u64::MAX;
        drafts.push(other);
        for draft in drafts {
            let serde = serde_json::to_string(&draft).expect("serialisable");
            assert_eq!(draft.to_json(), serde);
            assert_eq!(Draft::from_json(&serde), Some(draft.clone()));
            let back: Draft = serde_json::from_str(&draft.to_json()).expect("serde reads it");
            assert_eq!(back, draft);
        }
        let partial = r#"{"step":3,"prenoms":["Awa"],"birth_country":"France","has_rpps":false}"#;
        assert_eq!(
            Draft::from_json(partial),
            Some(serde_json::from_str(partial).expect("serde reads it"))
        );
    }

    #[test]
    fn progress_and_sizes_in_french() {
        assert_eq!(progress(2), "Étape 2 sur 6");
        assert_eq!(step_title(1), "Établissement");
        assert_eq!(human_size(48_213), "49 ko");
        assert_eq!(human_size(1_234_567), "1,2 Mo");
    }
}
