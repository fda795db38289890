//! The logic behind the directory pages (`/gestion/enregistrer`, `/gestion/professionnels`): addresses, the
//! directory's query string, how a situation's state reads, and the checks of the situation forms, made with the
//! same `shared` rules as the server so that the browser and the API give the same messages.

use shared::api::{BirthPlaceInput, ProfessionalCandidate, SituationView};
use shared::birth::{BirthDate, StartDate};
use shared::birthplace::BirthPlace;
use shared::civilite::Civilite;
use shared::contact::{Email, MobilePhone};
use shared::date::CalendarDate;
use shared::departure::{CorrectionReason, EndDate, EndReason};
use shared::names::{NameField, PersonName, Prenoms};
use shared::nomenclature::{Metier, ModeExercice, Role};

use crate::api::encode_query;

pub const ENREGISTRER: &str = "/gestion/enregistrer";
pub const PROFESSIONNELS: &str = "/gestion/professionnels";

/// The address of one person's page.
pub fn person_href(id: i64) -> String {
    format!("{PROFESSIONNELS}/{id}")
}

/// The filters of the directory, as chosen in the form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DirectoryFilter {
    pub q: String,
    /// A site id, or empty for all.
    pub site: String,
    pub metier: String,
    pub role: String,
    /// `actives`, `cloturees`, or empty for all.
    pub statut: String,
}

impl DirectoryFilter {
    /// The query string of `GET /api/v1/gestion/professionnels` (blank filters left out).
    pub fn query(&self, cursor: Option<&str>) -> String {
        let mut parts = Vec::new();
        for (name, value) in [
            ("q", self.q.trim()),
            ("site_id", self.site.trim()),
            ("metier", self.metier.trim()),
            ("role", self.role.trim()),
            ("statut", self.statut.trim()),
        ] {
            if !value.is_empty() {
                parts.push(format!("{name}={}", encode_query(value)));
            }
        }
        if let Some(cursor) = cursor {
            parts.push(format!("cursor={}", encode_query(cursor)));
        }
        parts.join("&")
    }
}

/// How a situation's state reads: active, closing on a date, or closed.
pub fn situation_state(s: &SituationView) -> String {
    let end = s
        .end_date
        .as_deref()
        .and_then(|d| CalendarDate::parse_iso(d).ok())
        .map(|d| d.to_french());
    match (s.active, end) {
        (true, None) => "Active".to_owned(),
        (true, Some(end)) => format!("Active, clôture prévue le {end}"),
        (false, Some(end)) => format!("Clôturée le {end}"),
        (false, None) => "Clôturée".to_owned(),
    }
}

/// "Prénom Nom" of the page's heading.
pub fn display_name(prenom: &str, nom: &str) -> String {
    format!("{} {}", prenom.trim(), nom.trim())
}

/// The values of a situation form (métier, rôle, mode, date de prise de fonction) checked with the shared rules;
/// errors keyed by the form's element ids with `prefix`.
pub fn check_situation(
    prefix: &str,
    metier: &str,
    role: &str,
    mode: &str,
    date: &str,
    today: CalendarDate,
) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    if let Err(e) = Metier::parse(metier) {
        errors.push((format!("{prefix}metier"), e.to_string()));
    }
    if let Err(e) = Role::parse(role) {
        errors.push((format!("{prefix}role"), e.to_string()));
    }
    if let Err(e) = ModeExercice::parse(mode) {
        errors.push((format!("{prefix}mode"), e.to_string()));
    }
    if let Err(e) = StartDate::parse_with(date, None, today) {
        errors.push((format!("{prefix}date"), e.to_string()));
    }
    errors
}

/// The closing form checked with the shared rules (end date not before the start, a known reason).
pub fn check_closing(
    prefix: &str,
    end_date: &str,
    reason: &str,
    start: &str,
    today: CalendarDate,
) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    match CalendarDate::parse_iso(start) {
        Ok(start) => {
            if let Err(e) = EndDate::parse(end_date, start, today) {
                errors.push((format!("{prefix}fin"), e.to_string()));
            }
        }
        Err(_) => errors.push((
            format!("{prefix}fin"),
            "La date de prise de fonction de cette situation est illisible.".to_owned(),
        )),
    }
    if let Err(e) = EndReason::parse(reason) {
        errors.push((format!("{prefix}motif"), e.to_string()));
    }
    errors
}

/// The état civil correction form checked with the shared rules (the commune's existence is the server's).
pub fn check_etat_civil(
    civilite: &str,
    nom: &str,
    prenoms: &[String],
    naissance: &str,
    place: &BirthPlaceInput,
    reason: &str,
    today: CalendarDate,
) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    let mut add = |id: &str, message: String| {
        if !errors.iter().any(|(f, _): &(String, String)| f == id) {
            errors.push((id.to_owned(), message));
        }
    };
    if let Err(e) = Civilite::parse(civilite) {
        add("etat-civil-civilite", e.to_string());
    }
    if let Err(e) = PersonName::parse_field(nom, NameField::NomNaissance) {
        add("etat-civil-nom", e.to_string());
    }
    if let Err(e) = Prenoms::parse_list(prenoms)
        && let Some((_, messages)) = e.into_field_errors("prenoms").iter().next()
        && let Some(first) = messages.first()
    {
        add("etat-civil-prenoms", first.clone());
    }
    if let Err(e) = BirthDate::parse(naissance, today) {
        add("etat-civil-naissance", e.to_string());
    }
    if let Err(found) = BirthPlace::from_input(place) {
        for (key, messages) in found.iter() {
            let id = match key {
                "pays_cog" => "etat-civil-pays",
                "ville_etrangere" => "etat-civil-ville",
                _ => "etat-civil-commune",
            };
            if let Some(first) = messages.first() {
                add(id, first.clone());
            }
        }
    }
    if let Err(e) = CorrectionReason::parse(reason) {
        add("etat-civil-raison", e.to_string());
    }
    errors
}

/// The contact correction form checked with the shared rules.
pub fn check_contact(
    email: &str,
    confirmation: &str,
    mobile: &str,
    reason: &str,
) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    match Email::parse(email) {
        Err(e) => errors.push(("contact-email".to_owned(), e.to_string())),
        Ok(address) => {
            if !Email::parse(confirmation).is_ok_and(|c| c.same_address(&address)) {
                errors.push((
                    "contact-confirmation".to_owned(),
                    "Les deux adresses email ne sont pas identiques : saisissez à nouveau la même adresse."
                        .to_owned(),
                ));
            }
        }
    }
    if let Err(e) = MobilePhone::parse(mobile) {
        errors.push(("contact-mobile".to_owned(), e.to_string()));
    }
    if let Err(e) = CorrectionReason::parse(reason) {
        errors.push(("contact-raison".to_owned(), e.to_string()));
    }
    errors
}

/// The nom and prénom d'exercice form checked with the shared rules.
pub fn check_exercice(nom: &str, prenom: &str) -> Vec<(String, String)> {
    let mut errors = Vec::new();
    if let Err(e) = PersonName::parse_field(nom, NameField::NomExercice) {
        errors.push(("exercice-nom".to_owned(), e.to_string()));
    }
    if let Err(e) = PersonName::parse_field(prenom, NameField::PrenomExercice) {
        errors.push(("exercice-prenom".to_owned(), e.to_string()));
    }
    errors
}

/// Whether a closing on `end_date` takes effect at once (past or today) or is scheduled.
pub fn closing_is_scheduled(end_date: &str, today: CalendarDate) -> bool {
    CalendarDate::parse_iso(end_date).is_ok_and(|d| d > today)
}

/// What a candidate of the duplicate check is, in a sentence.
pub fn candidate_label(c: &ProfessionalCandidate) -> String {
    let born = CalendarDate::parse_iso(&c.date_naissance)
        .map(|d| d.to_french())
        .unwrap_or_else(|_| c.date_naissance.clone());
    let exercise = if c.nom_exercice == c.nom_naissance {
        String::new()
    } else {
        format!(
            " (exerce sous le nom {} {})",
            c.prenom_exercice, c.nom_exercice
        )
    };
    let mut label = format!(
        "{} {}{exercise}, née ou né le {born}, RPPS {}",
        c.prenoms.join(" "),
        c.nom_naissance,
        c.rpps
    );
    let mut also = Vec::new();
    if c.matches.iter().any(|m| m == "prenom") {
        also.push("même premier prénom");
    }
    if c.matches.iter().any(|m| m == "lieu") {
        also.push("même lieu de naissance");
    }
    if !also.is_empty() {
        label.push_str(&format!(" — {}", also.join(", ")));
    }
    if c.in_directory {
        label.push_str(" — déjà dans votre annuaire");
    }
    label
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> CalendarDate {
        CalendarDate::parse_iso("2026-11-26").unwrap_or_else(|_| unreachable!())
    }

    fn situation(active: bool, end: Option<&str>) -> SituationView {
        SituationView {
            id: 1,
            site_id: 1,
            site_nom: "EHPAD".into(),
            nom_exercice: "Martin".into(),
            prenom_exercice: "Awa".into(),
            metier: "328".into(),
            metier_label: String::new(),
            role: "GENR11".into(),
            role_label: String::new(),
            mode_exercice: "S".into(),
            mode_exercice_label: String::new(),
            date_prise_fonction: "2024-09-01".into(),
            active,
            end_date: end.map(str::to_owned),
            end_reason: None,
            end_reason_label: None,
        }
    }

    #[test]
    fn the_query_leaves_blank_filters_out_and_encodes_values() {
        let filter = DirectoryFilter {
            q: " Dupré ".into(),
            statut: "actives".into(),
            ..DirectoryFilter::default()
        };
        assert_eq!(filter.query(None), "q=Dupr%C3%A9&statut=actives");
        assert_eq!(
            DirectoryFilter::default().query(Some("ab=")),
            "cursor=ab%3D"
        );
    }

    #[test]
    fn a_situation_reads_active_scheduled_or_closed() {
        assert_eq!(situation_state(&situation(true, None)), "Active");
        assert_eq!(
            situation_state(&situation(true, Some("2026-12-31"))),
            "Active, clôture prévue le 31/12/2026"
        );
        assert_eq!(
            situation_state(&situation(false, Some("2026-01-31"))),
            "Clôturée le 31/01/2026"
        );
    }

    #[test]
    fn the_closing_form_uses_the_shared_rules() {
        let errors = check_closing("c-", "2024-08-31", "", "2024-09-01", today());
        assert_eq!(errors.len(), 2);
        assert_eq!(errors[0].0, "c-fin");
        assert!(errors[0].1.contains("01/09/2024"));
        assert_eq!(errors[1].0, "c-motif");
        assert!(check_closing("c-", "2026-12-31", "fin_contrat", "2024-09-01", today()).is_empty());
        assert!(closing_is_scheduled("2026-11-27", today()));
        assert!(!closing_is_scheduled("2026-11-26", today()));
    }

    #[test]
    fn the_situation_form_uses_the_shared_rules() {
        let errors = check_situation("s-", "999", "", "S", "2024-09-01", today());
        let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["s-metier", "s-role"]);
        assert!(check_situation("s-", "328", "GENR12", "S", "2024-09-01", today()).is_empty());
    }

    #[test]
    fn the_correction_forms_use_the_shared_rules() {
        let place = BirthPlaceInput {
            commune_cog: Some("2A004".into()),
            ..BirthPlaceInput::default()
        };
        let ok = check_etat_civil(
            "MME",
            "N'Diaye",
            &["Awa".into()],
            "1988-11-03",
            &place,
            "Erreur de saisie",
            today(),
        );
        assert!(ok.is_empty(), "{ok:?}");
        let missing = check_etat_civil("", "", &[], "", &BirthPlaceInput::default(), "", today());
        let ids: Vec<&str> = missing.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            ids,
            [
                "etat-civil-civilite",
                "etat-civil-nom",
                "etat-civil-prenoms",
                "etat-civil-naissance",
                "etat-civil-commune",
                "etat-civil-raison"
            ]
        );
        assert_eq!(
            missing[5].1,
            "Indiquez la raison de cette correction (elle est conservée dans l'historique)."
        );
        let contact = check_contact("a@exemple.fr", "b@exemple.fr", "0612345678", "Mobile perdu");
        assert_eq!(contact.len(), 1);
        assert_eq!(contact[0].0, "contact-confirmation");
        assert!(
            check_contact("a@exemple.fr", "A@exemple.fr", "0612345678", "Mobile perdu").is_empty()
        );
        assert_eq!(check_exercice("", "Awa").len(), 1);
    }

    #[test]
    fn a_candidate_says_what_matches() {
        let c = ProfessionalCandidate {
            id: 1,
            rpps: "90000000001".into(),
            nom_naissance: "N'Diaye".into(),
            prenoms: vec!["Awa".into(), "Marie".into()],
            date_naissance: "1988-11-03".into(),
            nom_exercice: "N'Diaye".into(),
            prenom_exercice: "Awa".into(),
            matches: vec!["prenom".into()],
            in_directory: false,
        };
        assert_eq!(
            candidate_label(&c),
            "Awa Marie N'Diaye, née ou né le 03/11/1988, RPPS 90000000001 — même premier prénom"
        );
    }
}
