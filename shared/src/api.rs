//! Wire DTOs of the JSON API (`/api/v1`), apart from the domain types: plain public fields, strings
//! where the user types, so that any input can be carried and reported per field. Conversion to the
//! domain happens once, in [`crate::preregistration::PreRegistration::try_from_input`]. Call sites
//! alias it: `use shared::api as json;`.

use serde::{Deserialize, Serialize};

use crate::civilite::Civilite;
use crate::error::FieldErrors;
use crate::nomenclature::{Metier, ModeExercice, PROFESSION_CODE, PROFESSION_LABEL, Role};

/// The `error` member of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// Stable machine code: `validation`, `not_found`, `conflict`…
    pub code: String,
    /// French message for a person.
    pub message: String,
    /// Per-field messages, for `validation` errors.
    #[serde(default, skip_serializing_if = "FieldErrors::is_empty")]
    pub fields: FieldErrors,
}

/// `{"error": {"code": …, "message": …, "fields": {…}}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

pub const VALIDATION_CODE: &str = "validation";

impl ErrorEnvelope {
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error: ErrorBody {
                code: code.into(),
                message: message.into(),
                fields: FieldErrors::new(),
            },
        }
    }

    /// The answer to input that fails validation.
    pub fn validation(fields: FieldErrors) -> Self {
        Self {
            error: ErrorBody {
                code: VALIDATION_CODE.to_owned(),
                message:
                    "Certaines informations sont à corriger : voyez le message de chaque champ."
                        .to_owned(),
                fields,
            },
        }
    }
}

/// One code of a nomenclature, as served by `GET /api/v1/nomenclatures`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NomenclatureEntry {
    pub code: String,
    pub label: String,
    /// A shorter label, where the official one is long (rôles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub short_label: Option<String>,
    /// Plain-French explanation (rôles: "ce que je fais"; modes d'exercice).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Usual names and abbreviations that lead to this code (métiers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

impl NomenclatureEntry {
    fn new(code: &str, label: &str) -> Self {
        Self {
            code: code.to_owned(),
            label: label.to_owned(),
            short_label: None,
            description: None,
            aliases: vec![],
        }
    }
}

/// Every code system the forms offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Nomenclatures {
    pub profession: NomenclatureEntry,
    pub roles: Vec<NomenclatureEntry>,
    pub metiers: Vec<NomenclatureEntry>,
    pub modes_exercice: Vec<NomenclatureEntry>,
    pub civilites: Vec<NomenclatureEntry>,
}

/// Built from the domain types themselves, so the API never serves a copy that could drift.
pub fn nomenclatures() -> Nomenclatures {
    Nomenclatures {
        profession: NomenclatureEntry::new(PROFESSION_CODE, PROFESSION_LABEL),
        roles: Role::ALL
            .iter()
            .map(|r| NomenclatureEntry {
                short_label: Some(r.short_label().to_owned()),
                description: Some(r.description().to_owned()),
                ..NomenclatureEntry::new(r.code(), r.label())
            })
            .collect(),
        metiers: Metier::ALL
            .iter()
            .map(|e| NomenclatureEntry {
                aliases: e.aliases.iter().map(|a| (*a).to_owned()).collect(),
                ..NomenclatureEntry::new(e.code, e.label)
            })
            .collect(),
        modes_exercice: ModeExercice::ALL
            .iter()
            .map(|m| NomenclatureEntry {
                description: Some(m.description().to_owned()),
                ..NomenclatureEntry::new(m.code(), m.label())
            })
            .collect(),
        civilites: Civilite::ALL
            .iter()
            .map(|c| NomenclatureEntry::new(c.code(), c.label()))
            .collect(),
    }
}

/// Lieu de naissance as typed: a commune (COG code), or a country (COG 99xxx) and a town. Blank =
/// absent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct BirthPlaceInput {
    pub commune_cog: Option<String>,
    pub pays_cog: Option<String>,
    pub ville_etrangere: Option<String>,
}

/// The situation d'exercice as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct SituationInput {
    /// FINESS géographique of the workplace.
    pub finess: String,
    pub nom_exercice: String,
    pub prenom_exercice: String,
    /// JDV_J121 code, e.g. `326`.
    pub metier: String,
    /// `GENR08`…`GENR13`.
    pub role: String,
    /// `S`, `L`, `B` or `I`.
    pub mode_exercice: String,
    /// ISO date `YYYY-MM-DD`.
    pub date_prise_fonction: String,
}

/// A self pre-registration as sent by the form. Missing members deserialise as blank, so that they
/// are reported per field like any other invalid input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct PreRegistrationInput {
    /// `M` or `MME`.
    pub civilite: String,
    pub nom_naissance: String,
    /// All first names, in civil-registry order.
    pub prenoms: Vec<String>,
    /// ISO date `YYYY-MM-DD`.
    pub date_naissance: String,
    pub lieu_naissance: BirthPlaceInput,
    pub email: String,
    pub email_confirmation: String,
    pub mobile: String,
    pub situation: SituationInput,
    /// The professional's RPPS number, if they already have one.
    pub rpps_existant: Option<String>,
    /// Version of the information notice the person read.
    pub notice_version: String,
}

/// A site (établissement géographique) of an entité juridique.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Site {
    pub id: i64,
    pub nom: String,
    /// FINESS géographique; absent for structures outside FINESS (some DAC, CRT).
    pub finess: Option<String>,
    pub siret: Option<String>,
    pub commune: Option<String>,
    /// Demonstration data.
    pub demo: bool,
}

/// An entité juridique and its sites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntiteJuridique {
    pub id: i64,
    pub nom: String,
    pub siret: Option<String>,
    pub finess_juridique: Option<String>,
    /// Demonstration data.
    pub demo: bool,
    pub sites: Vec<Site>,
}

/// A birth commune that could not be found in the list (an old name): typed as free text with its département.
/// The request is then flagged for the gestionnaire.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct CommuneLibreInput {
    pub nom: String,
    /// Département code: `01`…`95`, `2A`, `2B`, `971`…`976`.
    pub departement: String,
}

/// `POST /api/v1/pre-registrations`: the form's input plus the chosen site and the uploaded identity document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct PreRegistrationRequest {
    #[serde(flatten)]
    pub input: PreRegistrationInput,
    /// Id of the site chosen in `GET /api/v1/structures`.
    pub site_id: Option<i64>,
    /// Id answered by `POST /api/v1/documents`.
    pub document_id: String,
    /// Instead of `lieu_naissance.commune_cog`, when the commune cannot be found in the list.
    pub commune_libre: Option<CommuneLibreInput>,
}

/// `201` answer of `POST /api/v1/pre-registrations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreRegistrationCreated {
    /// Reference to quote, e.g. `ENR-7KQ2-M9XD`.
    pub reference: String,
    /// Private status page, e.g. `/suivi/3f…` (relative to the site).
    pub status_url: String,
    /// The token of `status_url`, for `GET /api/v1/suivi/{token}` (the OpenAPI links follow it). Empty in an
    /// answer stored before it existed.
    #[serde(default)]
    pub status_token: String,
}

/// `201` answer of `POST /api/v1/documents`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentUploaded {
    /// Random identifier to send as `document_id`.
    pub id: String,
    /// `application/pdf`, `image/jpeg` or `image/png`, as detected from the content.
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
}

/// One section of the information notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoticeSection {
    pub heading: String,
    pub paragraphs: Vec<String>,
}

/// The RGPD information notice (art. 13) of a site as registration authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notice {
    pub title: String,
    /// To send back as `notice_version` once read.
    pub version: String,
    pub sections: Vec<NoticeSection>,
}

/// Where a pre-registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PreRegistrationStatusCode {
    Recue,
    EnCours,
    ACompleter,
    Validee,
    Refusee,
}

impl PreRegistrationStatusCode {
    pub const ALL: [Self; 5] = [
        Self::Recue,
        Self::EnCours,
        Self::ACompleter,
        Self::Validee,
        Self::Refusee,
    ];

    /// The stored and wire code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Recue => "recue",
            Self::EnCours => "en_cours",
            Self::ACompleter => "a_completer",
            Self::Validee => "validee",
            Self::Refusee => "refusee",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// French label for the person.
    pub fn label(self) -> &'static str {
        match self {
            Self::Recue => "Reçue",
            Self::EnCours => "En cours d'instruction",
            Self::ACompleter => "À compléter",
            Self::Validee => "Validée",
            Self::Refusee => "Refusée",
        }
    }
}

/// `GET /api/v1/suivi/{token}`: what the person needs to know, nothing more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreRegistrationStatus {
    pub reference: String,
    pub status: PreRegistrationStatusCode,
    pub status_label: String,
    /// Name of the site the request was sent to.
    pub site_nom: String,
    /// RFC 3339 UTC.
    pub created_at: String,
    /// RFC 3339 UTC, last change of status.
    pub updated_at: String,
    /// `a_completer`: what to fix.
    pub a_completer: Option<String>,
    /// `refusee`: why.
    pub motif_refus: Option<String>,
    /// `validee`: the RPPS number.
    pub rpps: Option<String>,
    pub email_confirmed: bool,
}

/// `POST /api/v1/email-confirmations/{token}` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmailConfirmation {
    pub reference: String,
    /// RFC 3339 UTC: when the address was first confirmed.
    pub confirmed_at: String,
}

/// `POST /api/v1/auth/sign-in`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SignInRequest {
    pub email: String,
    pub password: String,
}

/// `POST /api/v1/auth/password`: the one-time link's token and the new password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetPasswordRequest {
    pub token: String,
    pub password: String,
}

/// A site a gestionnaire covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GestionSite {
    pub id: i64,
    pub nom: String,
    pub finess: Option<String>,
    pub commune: Option<String>,
    pub entite_juridique_nom: String,
}

/// The signed-in gestionnaire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GestionnaireInfo {
    pub id: i64,
    pub email: String,
    pub nom: String,
}

/// `GET /api/v1/auth/me` (and the answer of a sign-in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    /// `gestionnaire`.
    pub role: String,
    pub gestionnaire: GestionnaireInfo,
    pub sites: Vec<GestionSite>,
    /// RFC 3339 UTC: the session ends then at the latest.
    pub session_expires_at: String,
}

/// Counts of requests per status, for one site or the whole scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusCounts {
    pub recue: i64,
    pub en_cours: i64,
    pub a_completer: i64,
    pub validee: i64,
    pub refusee: i64,
}

/// Per-site counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SiteCounts {
    pub site_id: i64,
    pub counts: StatusCounts,
}

/// Signals shown on a queue row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueFlags {
    pub possible_duplicate: bool,
    pub rpps_existant_declare: bool,
    pub email_confirmed: bool,
    pub commune_saisie_libre: bool,
    pub deja_renvoyee: bool,
}

/// One row of the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueRow {
    pub id: i64,
    pub reference: String,
    /// RFC 3339 UTC.
    pub created_at: String,
    pub age_days: i64,
    pub site_id: i64,
    pub site_nom: String,
    pub nom_naissance: String,
    pub prenoms: Vec<String>,
    pub nom_exercice: String,
    pub prenom_exercice: String,
    pub metier: String,
    pub metier_label: String,
    pub role: String,
    pub role_label: String,
    pub status: PreRegistrationStatusCode,
    pub flags: QueueFlags,
}

/// `GET /api/v1/gestion/demandes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueuePage {
    pub demandes: Vec<QueueRow>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// Counts over every site of the gestionnaire.
    pub counts: StatusCounts,
    pub counts_by_site: Vec<SiteCounts>,
}

/// A field to correct, as the gestionnaire asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Correction {
    /// A form key (`nom_naissance`, `lieu_naissance`, `document_id`…).
    pub field: String,
    pub message: String,
}

/// `POST /api/v1/gestion/demandes/{id}/decision`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionRequest {
    /// `validate`, `reject` or `return`.
    pub decision: String,
    pub reason: Option<String>,
    /// `reject`: one of the common reasons (`identite_non_verifiee`, `hors_perimetre`, `doublon`,
    /// `piece_illisible`, `autre`).
    pub reason_code: Option<String>,
    /// `return`: what to fix.
    pub corrections: Option<Vec<Correction>>,
    /// `validate`: attach to this existing RPPS number instead of allocating one.
    pub attach_to_rpps: Option<String>,
    /// The status the gestionnaire saw (`recue`, `en_cours`); refused with 409 if it changed.
    pub expected_status: Option<PreRegistrationStatusCode>,
}

/// The answer of a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DecisionResult {
    pub id: i64,
    pub status: PreRegistrationStatusCode,
    pub rpps: Option<String>,
    /// True when attached to an existing identity (no new number).
    pub identity_reused: bool,
}

/// An existing identity that may be the same person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IdentityCandidate {
    pub rpps: String,
    pub nom_naissance: String,
    pub prenoms: Vec<String>,
    pub date_naissance: String,
    pub nom_exercice: String,
    pub prenom_exercice: String,
    /// Why it is proposed: `prenom` (same first first-name) and/or `lieu` (same birth place).
    pub matches: Vec<String>,
}

/// Another open request that may be the same person (`id` and `reference` only within the gestionnaire's scope).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestCandidate {
    pub id: Option<i64>,
    pub reference: Option<String>,
    pub site_nom: String,
    pub status: PreRegistrationStatusCode,
    pub matches: Vec<String>,
}

/// `GET /api/v1/gestion/demandes/{id}`: everything the professional entered, flags, duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DemandeDetail {
    pub id: i64,
    pub reference: String,
    pub status: PreRegistrationStatusCode,
    pub status_label: String,
    pub created_at: String,
    pub updated_at: String,
    pub site: GestionSite,
    pub civilite: String,
    pub nom_naissance: String,
    pub prenoms: Vec<String>,
    pub date_naissance: String,
    pub lieu_naissance: BirthPlaceInput,
    /// A commune typed by hand: (nom, département).
    pub commune_libre: Option<CommuneLibreInput>,
    /// The birth place in words, to compare with an identity document: "Ajaccio (Corse-du-Sud)", "Madrid
    /// (Espagne)"; a code the reference data does not know is given as is.
    pub lieu_naissance_libelle: String,
    pub email: String,
    pub email_confirmed: bool,
    pub mobile: String,
    pub situation: SituationInput,
    pub metier_label: String,
    pub role_label: String,
    pub mode_exercice_label: String,
    pub rpps_existant: Option<String>,
    /// `validee`: the RPPS number.
    pub rpps: Option<String>,
    /// `/api/v1/gestion/demandes/{id}/document` while the document is kept.
    pub document_url: Option<String>,
    pub document_content_type: String,
    /// After a final decision: "pièce vérifiée : type, date, par qui".
    pub piece_verifiee: Option<String>,
    pub flags: QueueFlags,
    /// `a_completer`: what was asked.
    pub corrections: Vec<Correction>,
    pub status_detail: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub duplicate_identities: Vec<IdentityCandidate>,
    pub duplicate_requests: Vec<RequestCandidate>,
}

/// `GET /api/v1/suivi/{token}/corrections`: what to fix and the request as it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CorrectionsView {
    pub corrections: Vec<Correction>,
    /// The request as stored, to edit and send back with `PUT` (same shape as the submission).
    pub demande: PreRegistrationRequest,
}

// ---- e-CPS activation and the professional's space ----

/// Starts an e-CPS activation or sign-in: the RPPS number, or the one-time token of the validation email's link.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActivationStart {
    #[serde(default)]
    pub rpps: Option<String>,
    #[serde(default)]
    pub jeton: Option<String>,
}

/// The same answer whether or not the RPPS number is held by someone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChallengeSent {
    /// Quoted back with the codes.
    pub challenge_id: String,
    pub expires_in_secs: u64,
    pub message: String,
}

/// The two codes of an activation or sign-in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CodesConfirm {
    #[serde(default)]
    pub challenge_id: String,
    #[serde(default)]
    pub email_code: String,
    #[serde(default)]
    pub sms_code: String,
}

/// One situation d'exercice, as its professional sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnSituation {
    pub id: i64,
    pub site_nom: String,
    pub entite_juridique_nom: String,
    pub metier: String,
    pub role: String,
    pub mode_exercice: String,
    /// `AAAA-MM-JJ`.
    pub date_debut: String,
    /// `AAAA-MM-JJ`, for a closed situation.
    pub date_fin: Option<String>,
    pub active: bool,
}

/// The signed-in professional's own data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Profil {
    pub rpps: String,
    pub civilite: String,
    pub nom_naissance: String,
    pub prenoms: Vec<String>,
    /// `AAAA-MM-JJ`.
    pub date_naissance: String,
    pub email: String,
    /// National form, `06 12 34 56 78`.
    pub mobile: String,
    pub nom_exercice: String,
    pub prenom_exercice: String,
    /// RFC 3339 UTC.
    pub ecps_activated_at: Option<String>,
    pub situations: Vec<OwnSituation>,
    /// RFC 3339 UTC: after this, changing contact data asks for the two codes again.
    pub recent_sign_in_until: String,
}

/// A new email and/or a new mobile; each only replaces the old one once its code is confirmed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactChange {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub mobile: Option<String>,
}

/// Codes were sent to the new email and/or mobile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactChallengeSent {
    pub challenge_id: String,
    pub expires_in_secs: u64,
    /// A code went to the new email (type it in `email_code`).
    pub email: bool,
    /// A code went to the new mobile (type it in `sms_code`).
    pub mobile: bool,
}

/// New nom and prénom d'exercice (shown in the public directory).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExerciceChange {
    #[serde(default)]
    pub nom_exercice: String,
    #[serde(default)]
    pub prenom_exercice: String,
}

// ---- directory: CAS 1 registrations, the establishment's professionals, their situations d'exercice ----

/// `POST /api/v1/gestion/enregistrements` (and `…/verification`): the professional form's payload, filled by a
/// gestionnaire, plus the declaration that they verified the identity document, and what to do when the person
/// may already exist.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct RegistrationRequest {
    #[serde(flatten)]
    pub request: PreRegistrationRequest,
    /// « J'ai vérifié la pièce d'identité de la personne » (mandatory).
    pub piece_verifiee: bool,
    /// Add a situation to this existing person (one of the candidates) instead of creating an identity.
    pub attach_to_professional_id: Option<i64>,
    /// The gestionnaire checked the candidates and states that this is another person.
    pub new_identity_confirmed: bool,
}

/// A person already known who may be the one being registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfessionalCandidate {
    pub id: i64,
    pub rpps: String,
    pub nom_naissance: String,
    pub prenoms: Vec<String>,
    pub date_naissance: String,
    pub nom_exercice: String,
    pub prenom_exercice: String,
    /// What else matches besides the birth name and date: `prenom`, `lieu`.
    pub matches: Vec<String>,
    /// Whether this person already has a situation (active or closed) at one of the gestionnaire's sites.
    pub in_directory: bool,
}

/// Answer of `POST /api/v1/gestion/enregistrements/verification`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistrationCheck {
    pub candidates: Vec<ProfessionalCandidate>,
}

/// `201` answer of `POST /api/v1/gestion/enregistrements`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegistrationCreated {
    pub professional_id: i64,
    pub rpps: String,
    pub situation_id: i64,
    /// A situation was added to an existing person: no new number.
    pub identity_reused: bool,
}

/// One situation d'exercice as the directory shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SituationView {
    pub id: i64,
    pub site_id: i64,
    pub site_nom: String,
    pub nom_exercice: String,
    pub prenom_exercice: String,
    pub metier: String,
    pub metier_label: String,
    pub role: String,
    pub role_label: String,
    pub mode_exercice: String,
    pub mode_exercice_label: String,
    pub date_prise_fonction: String,
    /// Still active today (a closing may be scheduled: see `end_date`).
    pub active: bool,
    pub end_date: Option<String>,
    pub end_reason: Option<String>,
    pub end_reason_label: Option<String>,
}

/// One person of the directory with their situations in the gestionnaire's sites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfessionalRow {
    pub id: i64,
    pub rpps: String,
    pub nom_exercice: String,
    pub prenom_exercice: String,
    pub nom_naissance: String,
    pub situations: Vec<SituationView>,
}

/// One page of the directory (50 people at most), by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfessionalPage {
    pub professionnels: Vec<ProfessionalRow>,
    pub next_cursor: Option<String>,
}

/// One person: identity, contact, their situations in the gestionnaire's sites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfessionalDetail {
    pub id: i64,
    pub rpps: String,
    pub civilite: String,
    pub nom_naissance: String,
    pub prenoms: Vec<String>,
    pub date_naissance: String,
    pub lieu_naissance: BirthPlaceInput,
    pub commune_libre: Option<CommuneLibreInput>,
    /// The birth place in words, as in [`DemandeDetail::lieu_naissance_libelle`].
    pub lieu_naissance_libelle: String,
    pub email: String,
    pub mobile: String,
    pub nom_exercice: String,
    pub prenom_exercice: String,
    /// The e-CPS was activated (reset by a contact correction).
    pub ecps_active: bool,
    /// A request for this person waits in a queue: no update until it is decided.
    pub pending_request: bool,
    pub situations: Vec<SituationView>,
    /// Active situations in other establishments (not shown).
    pub other_active_situations: i64,
}

/// `PUT …/situations/{id}`: what a gestionnaire may change in a situation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct SituationUpdate {
    pub metier: String,
    pub role: String,
    pub mode_exercice: String,
    pub date_prise_fonction: String,
}

/// `POST …/situations`: a new situation at another of the gestionnaire's sites.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct NewSituationRequest {
    pub site_id: Option<i64>,
    pub metier: String,
    pub role: String,
    pub mode_exercice: String,
    pub date_prise_fonction: String,
}

/// `PUT …/exercice`: the nom and prénom d'exercice (published in the Annuaire Santé).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ExerciceNamesUpdate {
    pub nom_exercice: String,
    pub prenom_exercice: String,
}

/// `PUT …/etat-civil`: a correction of the état civil, with its reason.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct EtatCivilCorrection {
    pub civilite: String,
    pub nom_naissance: String,
    pub prenoms: Vec<String>,
    pub date_naissance: String,
    pub lieu_naissance: BirthPlaceInput,
    pub reason: String,
}

/// `PUT …/contact`: a correction of the email and mobile (lost mobile or mailbox), with its reason. The e-CPS
/// activation starts again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct ContactCorrection {
    pub email: String,
    pub email_confirmation: String,
    pub mobile: String,
    pub reason: String,
}

/// `POST …/situations/{id}/cloture`: the departure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct CloseSituationRequest {
    /// ISO date: past, today, or future (then applied automatically that day).
    pub end_date: String,
    /// A code of `shared::departure::EndReason`.
    pub end_reason: String,
}

/// One changed value in the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// One change to a person or one of their situations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    pub at: String,
    /// Who: a gestionnaire's name, « Le professionnel », or « Enrôle (automatique) ».
    pub by: String,
    pub action: String,
    /// What, in French.
    pub label: String,
    pub situation_id: Option<i64>,
    pub changes: Vec<HistoryChange>,
    pub reason: Option<String>,
}

/// `GET …/historique`, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProfessionalHistory {
    pub entries: Vec<HistoryEntry>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_french_message;

    #[test]
    fn nomenclatures_come_from_the_types() {
        let n = nomenclatures();
        assert_eq!(
            (n.profession.code.as_str(), n.profession.label.as_str()),
            ("99", "Acteur caractérisé par rôle")
        );
        assert_eq!(n.roles.len(), 6);
        assert_eq!(n.metiers.len(), 60);
        assert_eq!(n.modes_exercice.len(), 4);
        assert_eq!(n.civilites.len(), 2);
        assert!(
            n.roles
                .iter()
                .all(|r| r.description.is_some() && r.short_label.is_some())
        );
        let amp = n
            .metiers
            .iter()
            .find(|m| m.code == "328")
            .map(|m| m.aliases.clone())
            .unwrap_or_default();
        assert!(amp.contains(&"AMP".to_owned()));
        for (entry, role) in n.roles.iter().zip(Role::ALL) {
            assert_eq!(Role::parse(&entry.code), Ok(role));
        }
    }

    #[test]
    fn nomenclatures_serialise_without_empty_members() -> Result<(), serde_json::Error> {
        let json = serde_json::to_value(nomenclatures())?;
        assert_eq!(
            json["civilites"][1],
            serde_json::json!({"code": "MME", "label": "Madame"})
        );
        assert_eq!(
            json["metiers"][1],
            serde_json::json!({"code": "312", "label": "Autre professionnel"})
        );
        Ok(())
    }

    #[test]
    fn error_envelope_shape() -> Result<(), serde_json::Error> {
        let mut fields = FieldErrors::new();
        fields.add("email", "L'adresse email est obligatoire.");
        let json = serde_json::to_value(ErrorEnvelope::validation(fields))?;
        assert_eq!(json["error"]["code"], "validation");
        assert_eq!(
            json["error"]["fields"]["email"][0],
            "L'adresse email est obligatoire."
        );
        assert_french_message(json["error"]["message"].as_str().unwrap_or_default());
        let plain = serde_json::to_value(ErrorEnvelope::new("not_found", "Introuvable."))?;
        assert_eq!(
            plain,
            serde_json::json!({"error": {"code": "not_found", "message": "Introuvable."}})
        );
        Ok(())
    }

    #[test]
    fn missing_input_members_deserialise_as_blank() -> Result<(), serde_json::Error> {
        let input: PreRegistrationInput =
            serde_json::from_str(r#"{"civilite": "M", "situation": {"role": "GENR10"}}"#)?;
        assert_eq!(input.civilite, "M");
        assert_eq!(input.situation.role, "GENR10");
        assert!(input.prenoms.is_empty() && input.rpps_existant.is_none());
        Ok(())
    }
}

#[cfg(all(test, feature = "openapi"))]
mod openapi_tests {
    use super::*;
    use utoipa::PartialSchema;

    #[test]
    fn dtos_describe_themselves() -> Result<(), serde_json::Error> {
        let input = serde_json::to_value(PreRegistrationInput::schema())?;
        assert!(input["properties"]["lieu_naissance"].is_object(), "{input}");
        assert!(input["properties"]["prenoms"].is_object(), "{input}");
        let fields = serde_json::to_value(FieldErrors::schema())?;
        assert_eq!(fields["type"], "object", "{fields}");
        let envelope = serde_json::to_value(ErrorEnvelope::schema())?;
        assert!(envelope["properties"]["error"].is_object(), "{envelope}");
        Ok(())
    }
}

// ---- embed (issue 6: the form in an establishment's intranet) ----

/// One intranet origin allowed to embed the form of an entité juridique's sites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmbedOriginRow {
    pub id: i64,
    pub entite_juridique_id: i64,
    /// `scheme://host[:port]`, as browsers write it.
    pub origin: String,
    /// Plain `http`: the interface warns.
    pub insecure: bool,
    /// RFC 3339.
    pub created_at: String,
}

/// An entité juridique the gestionnaire manages the embedding of: its sites and its allowed origins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmbedEntite {
    pub id: i64,
    pub nom: String,
    /// Only the sites the gestionnaire covers.
    pub sites: Vec<Site>,
    pub origines: Vec<EmbedOriginRow>,
}

/// What the gestionnaire's integration page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EmbedOverview {
    /// Enrôle's public address (`ENROLE_PUBLIC_URL`), where `embed.js` and the embedded form are served.
    pub enrole_origin: String,
    pub entites_juridiques: Vec<EmbedEntite>,
}

/// An origin to allow (validated by [`crate::embed::EmbedOrigin`]; errors under `origin`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct EmbedOriginInput {
    pub entite_juridique_id: i64,
    pub origin: String,
}

/// The message the embedded form posts to its host page (never personal data).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum EmbedMessage {
    /// The form is displayed; `height` in CSS pixels.
    #[serde(rename = "enrole:loaded")]
    Loaded { height: u32 },
    #[serde(rename = "enrole:resize")]
    Resize { height: u32 },
    /// The step now shown (0 = introduction, 1–6 the steps).
    #[serde(rename = "enrole:step")]
    Step { step: u8 },
    /// The request was received; its reference only.
    #[serde(rename = "enrole:submitted")]
    Submitted { reference: String },
}
