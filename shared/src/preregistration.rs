//! The self pre-registration (CAS 2) aggregate: everything a professional à rôle sends, validated
//! as a whole.

use serde::Serialize;

use crate::api::{PreRegistrationInput, SituationInput};
use crate::birth::{BirthDate, StartDate};
use crate::birthplace::BirthPlace;
use crate::civilite::Civilite;
use crate::contact::{Email, MobilePhone};
use crate::date::CalendarDate;
use crate::error::FieldErrors;
use crate::ids::{Finess, Rpps};
use crate::names::{NameField, PersonName, Prenoms};
use crate::nomenclature::{Metier, ModeExercice, Role};

pub const MAX_NOTICE_VERSION_CHARS: usize = 64;

/// A situation d'exercice: where and how the person works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Situation {
    finess: Finess,
    nom_exercice: PersonName,
    prenom_exercice: PersonName,
    metier: Metier,
    role: Role,
    mode_exercice: ModeExercice,
    date_prise_fonction: StartDate,
}

impl Situation {
    /// Errors keyed by the input's field names (`"metier"`…). The start date is checked against the
    /// 14th birthday only when the birth date is known.
    pub fn try_from_input(
        input: &SituationInput,
        birth: Option<&BirthDate>,
        today: CalendarDate,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let finess = errors.capture("finess", Finess::parse(&input.finess));
        let nom_exercice = errors.capture(
            "nom_exercice",
            PersonName::parse_field(&input.nom_exercice, NameField::NomExercice),
        );
        let prenom_exercice = errors.capture(
            "prenom_exercice",
            PersonName::parse_field(&input.prenom_exercice, NameField::PrenomExercice),
        );
        let metier = errors.capture("metier", Metier::parse(&input.metier));
        let role = errors.capture("role", Role::parse(&input.role));
        let mode_exercice =
            errors.capture("mode_exercice", ModeExercice::parse(&input.mode_exercice));
        let date_prise_fonction = errors.capture(
            "date_prise_fonction",
            StartDate::parse_with(&input.date_prise_fonction, birth, today),
        );
        match (
            finess,
            nom_exercice,
            prenom_exercice,
            metier,
            role,
            mode_exercice,
            date_prise_fonction,
        ) {
            (
                Some(finess),
                Some(nom_exercice),
                Some(prenom_exercice),
                Some(metier),
                Some(role),
                Some(mode_exercice),
                Some(date_prise_fonction),
            ) => Ok(Self {
                finess,
                nom_exercice,
                prenom_exercice,
                metier,
                role,
                mode_exercice,
                date_prise_fonction,
            }),
            _ => Err(errors),
        }
    }

    pub fn finess(&self) -> &Finess {
        &self.finess
    }

    pub fn nom_exercice(&self) -> &PersonName {
        &self.nom_exercice
    }

    pub fn prenom_exercice(&self) -> &PersonName {
        &self.prenom_exercice
    }

    pub fn metier(&self) -> Metier {
        self.metier
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn mode_exercice(&self) -> ModeExercice {
        self.mode_exercice
    }

    pub fn date_prise_fonction(&self) -> StartDate {
        self.date_prise_fonction
    }
}

/// A validated pre-registration. Only [`PreRegistration::try_from_input`] builds one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreRegistration {
    civilite: Civilite,
    nom_naissance: PersonName,
    prenoms: Prenoms,
    date_naissance: BirthDate,
    lieu_naissance: BirthPlace,
    email: Email,
    mobile: MobilePhone,
    situation: Situation,
    rpps_existant: Option<Rpps>,
    notice_version: String,
}

impl PreRegistration {
    /// Validates every field and returns either the aggregate or **all** the errors at once, keyed
    /// by field (`"nom_naissance"`, `"prenoms.1"`, `"lieu_naissance.commune_cog"`,
    /// `"situation.metier"`…), so that the form and the API show the same messages.
    pub fn try_from_input(
        input: PreRegistrationInput,
        today: CalendarDate,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let civilite = errors.capture("civilite", Civilite::parse(&input.civilite));
        let nom_naissance = errors.capture(
            "nom_naissance",
            PersonName::parse_field(&input.nom_naissance, NameField::NomNaissance),
        );
        let prenoms = Prenoms::parse_list(&input.prenoms)
            .map_err(|e| errors.merge_prefixed("", e.into_field_errors("prenoms")))
            .ok();
        let date_naissance = errors.capture(
            "date_naissance",
            BirthDate::parse(&input.date_naissance, today),
        );
        let lieu_naissance = BirthPlace::from_input(&input.lieu_naissance)
            .map_err(|e| errors.merge_prefixed("lieu_naissance", e))
            .ok();
        let email = errors.capture("email", Email::parse(&input.email));
        check_confirmation(&mut errors, email.as_ref(), &input.email_confirmation);
        let mobile = errors.capture("mobile", MobilePhone::parse(&input.mobile));
        let situation = Situation::try_from_input(&input.situation, date_naissance.as_ref(), today)
            .map_err(|e| errors.merge_prefixed("situation", e))
            .ok();
        let rpps_existant = match input
            .rpps_existant
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(rpps) => errors.capture("rpps_existant", Rpps::parse(rpps)).map(Some),
            None => Some(None),
        };
        let notice_version = errors.capture(
            "notice_version",
            parse_notice_version(&input.notice_version),
        );

        match (
            civilite,
            nom_naissance,
            prenoms,
            date_naissance,
            lieu_naissance,
            email,
            mobile,
            situation,
            rpps_existant,
            notice_version,
        ) {
            (
                Some(civilite),
                Some(nom_naissance),
                Some(prenoms),
                Some(date_naissance),
                Some(lieu_naissance),
                Some(email),
                Some(mobile),
                Some(situation),
                Some(rpps_existant),
                Some(notice_version),
            ) if errors.is_empty() => Ok(Self {
                civilite,
                nom_naissance,
                prenoms,
                date_naissance,
                lieu_naissance,
                email,
                mobile,
                situation,
                rpps_existant,
                notice_version,
            }),
            _ => Err(errors),
        }
    }

    pub fn civilite(&self) -> Civilite {
        self.civilite
    }

    pub fn nom_naissance(&self) -> &PersonName {
        &self.nom_naissance
    }

    pub fn prenoms(&self) -> &Prenoms {
        &self.prenoms
    }

    pub fn date_naissance(&self) -> BirthDate {
        self.date_naissance
    }

    pub fn lieu_naissance(&self) -> &BirthPlace {
        &self.lieu_naissance
    }

    pub fn email(&self) -> &Email {
        &self.email
    }

    pub fn mobile(&self) -> &MobilePhone {
        &self.mobile
    }

    pub fn situation(&self) -> &Situation {
        &self.situation
    }

    pub fn rpps_existant(&self) -> Option<&Rpps> {
        self.rpps_existant.as_ref()
    }

    pub fn notice_version(&self) -> &str {
        &self.notice_version
    }

    /// Soft warnings, keyed like errors, that do not prevent sending: a FINESS or RPPS number whose
    /// key does not match (the key rules are observed, not normative).
    pub fn warnings(&self) -> FieldErrors {
        let mut warnings = FieldErrors::new();
        if let Some(warning) = self.situation.finess.key_warning() {
            warnings.add("situation.finess", warning);
        }
        if self
            .rpps_existant
            .as_ref()
            .is_some_and(|rpps| !rpps.has_valid_key())
        {
            warnings.add(
                "rpps_existant",
                "La clé de contrôle de ce numéro RPPS ne correspond pas : vérifiez-le (il est tout de même accepté).",
            );
        }
        warnings
    }
}

fn check_confirmation(errors: &mut FieldErrors, email: Option<&Email>, confirmation: &str) {
    const FIELD: &str = "email_confirmation";
    if confirmation.trim().is_empty() {
        errors.add(
            FIELD,
            "Confirmez l'adresse email en la saisissant une deuxième fois.",
        );
    } else if let Some(email) = email
        && !Email::parse(confirmation).is_ok_and(|c| c.same_address(email))
    {
        errors.add(
            FIELD,
            "Les deux adresses email ne sont pas identiques : vérifiez la confirmation.",
        );
    }
}

fn parse_notice_version(version: &str) -> Result<String, &'static str> {
    let version = version.trim();
    if version.is_empty() {
        return Err(
            "Lisez la notice d'information et cochez la case indiquant que vous l'avez lue.",
        );
    }
    if version.chars().count() > MAX_NOTICE_VERSION_CHARS || version.chars().any(char::is_control) {
        return Err(
            "La version de la notice d'information n'est pas reconnue : rechargez la page.",
        );
    }
    Ok(version.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::BirthPlaceInput;
    use crate::test_support::assert_french_message;

    fn today() -> CalendarDate {
        CalendarDate::from_ymd(2026, 5, 15).unwrap_or_else(|e| panic!("{e}"))
    }

    fn valid_input() -> PreRegistrationInput {
        PreRegistrationInput {
            civilite: "MME".into(),
            nom_naissance: "N’Diaye".into(),
            prenoms: vec!["Awa".into(), "Marie-Louise".into()],
            date_naissance: "1988-11-03".into(),
            lieu_naissance: BirthPlaceInput {
                commune_cog: Some("2A004".into()),
                pays_cog: None,
                ville_etrangere: None,
            },
            email: "awa.ndiaye@exemple.fr".into(),
            email_confirmation: "Awa.NDiaye@exemple.fr".into(),
            mobile: "06 12 34 56 78".into(),
            situation: SituationInput {
                finess: "750000523".into(),
                nom_exercice: "Martin".into(),
                prenom_exercice: "Awa".into(),
                metier: "323".into(),
                role: "GENR11".into(),
                mode_exercice: "S".into(),
                date_prise_fonction: "2026-09-01".into(),
            },
            rpps_existant: Some(" ".into()),
            notice_version: "2026-05".into(),
        }
    }

    #[test]
    fn a_valid_input_builds_the_aggregate() -> Result<(), FieldErrors> {
        let pre = PreRegistration::try_from_input(valid_input(), today())?;
        assert_eq!(pre.civilite(), Civilite::Mme);
        assert_eq!(pre.nom_naissance().as_str(), "N'Diaye");
        assert_eq!(pre.prenoms().usual().as_str(), "Awa");
        assert_eq!(pre.date_naissance().to_string(), "1988-11-03");
        assert!(
            matches!(pre.lieu_naissance(), BirthPlace::Commune { cog } if cog.as_str() == "2A004")
        );
        assert_eq!(pre.mobile().as_e164(), "+33612345678");
        assert_eq!(pre.situation().metier().code(), "328");
        assert_eq!(pre.situation().role(), Role::Genr11);
        assert_eq!(pre.rpps_existant(), None);
        assert_eq!(pre.notice_version(), "2026-05");
        assert!(pre.warnings().is_empty());
        Ok(())
    }

    #[test]
    fn every_field_error_is_returned_at_once() {
        let input = PreRegistrationInput {
            civilite: "MLLE".into(),
            nom_naissance: "--".into(),
            prenoms: vec!["Awa".into(), "".into(), "J3an".into()],
            date_naissance: "2020-01-01".into(),
            lieu_naissance: BirthPlaceInput {
                commune_cog: None,
                pays_cog: Some("99350".into()),
                ville_etrangere: None,
            },
            email: "awa@exemple".into(),
            email_confirmation: "".into(),
            mobile: "01 23 45 67 89".into(),
            situation: SituationInput {
                finess: "1234".into(),
                nom_exercice: "".into(),
                prenom_exercice: "A.".into(),
                metier: "999".into(),
                role: "GENR01".into(),
                mode_exercice: "Z".into(),
                date_prise_fonction: "2030-01-01".into(),
            },
            rpps_existant: Some("123".into()),
            notice_version: " ".into(),
        };
        let errors =
            PreRegistration::try_from_input(input, today()).expect_err("everything is wrong");
        let fields: Vec<&str> = errors.iter().map(|(field, _)| field).collect();
        assert_eq!(
            fields,
            [
                "civilite",
                "date_naissance",
                "email",
                "email_confirmation",
                "lieu_naissance.ville_etrangere",
                "mobile",
                "nom_naissance",
                "notice_version",
                "prenoms.1",
                "prenoms.2",
                "rpps_existant",
                "situation.date_prise_fonction",
                "situation.finess",
                "situation.metier",
                "situation.mode_exercice",
                "situation.nom_exercice",
                "situation.prenom_exercice",
                "situation.role",
            ]
        );
        for (_, messages) in errors.iter() {
            assert_eq!(messages.len(), 1);
            messages.iter().for_each(|m| assert_french_message(m));
        }
    }

    /// The fields in error once `change` is applied to a valid input.
    fn fields_in_error(change: impl FnOnce(&mut PreRegistrationInput)) -> Vec<String> {
        let mut input = valid_input();
        change(&mut input);
        PreRegistration::try_from_input(input, today())
            .err()
            .map(|e| e.into_inner().into_keys().collect())
            .unwrap_or_default()
    }

    #[test]
    fn cross_field_rules() {
        // Start date before the 14th birthday.
        assert_eq!(
            fields_in_error(|i| i.situation.date_prise_fonction = "2002-11-02".into()),
            ["situation.date_prise_fonction"]
        );
        // An invalid birth date does not hide the start date's own checks.
        assert_eq!(
            fields_in_error(|i| {
                i.date_naissance = "x".into();
                i.situation.date_prise_fonction = "2030-01-01".into();
            }),
            ["date_naissance", "situation.date_prise_fonction"]
        );
        // Born abroad needs the town; a commune and a foreign country together, or neither, are
        // refused.
        let abroad = |town: Option<&str>| BirthPlaceInput {
            commune_cog: None,
            pays_cog: Some("99350".into()),
            ville_etrangere: town.map(Into::into),
        };
        assert_eq!(
            fields_in_error(|i| i.lieu_naissance = abroad(None)),
            ["lieu_naissance.ville_etrangere"]
        );
        assert!(fields_in_error(|i| i.lieu_naissance = abroad(Some("Rabat"))).is_empty());
        assert_eq!(
            fields_in_error(|i| i.lieu_naissance.pays_cog = Some("99350".into())),
            ["lieu_naissance"]
        );
        assert_eq!(
            fields_in_error(|i| i.lieu_naissance = BirthPlaceInput::default()),
            ["lieu_naissance"]
        );
        // The two emails must match.
        assert_eq!(
            fields_in_error(|i| i.email_confirmation = "autre@exemple.fr".into()),
            ["email_confirmation"]
        );
        assert_eq!(fields_in_error(|i| i.prenoms = vec![]), ["prenoms"]);
        assert!(fields_in_error(|_| ()).is_empty());
    }

    #[test]
    fn soft_warnings_do_not_block() -> Result<(), FieldErrors> {
        let mut input = valid_input();
        input.situation.finess = "750000524".into();
        input.rpps_existant = Some("10000000001".into());
        let pre = PreRegistration::try_from_input(input, today())?;
        let warnings = pre.warnings();
        assert!(warnings.contains("situation.finess") && warnings.contains("rpps_existant"));
        warnings
            .iter()
            .flat_map(|(_, m)| m)
            .for_each(|m| assert_french_message(m));
        Ok(())
    }
}
