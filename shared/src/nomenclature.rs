//! Official code systems: profession, rôle (genre d'activité), métier (rôle dans la prise en
//! charge), mode d'exercice. Labels are the ANS's; the rôle descriptions are our plain-French
//! paraphrase of its definitions.

use serde::{Deserialize, Serialize};

use crate::string_form;
pub use crate::text::fold;

/// TRE_R291: professionals à rôle all carry this profession.
pub const PROFESSION_CODE: &str = "99";
pub const PROFESSION_LABEL: &str = "Acteur caractérisé par rôle";

/// Ends every rôle description: the rôle, not the métier, decides DMP access (ANS guide). Nothing
/// more is claimed: the per-document rights of the arrêté were not available to us.
macro_rules! dmp_note {
    () => {
        "C'est le rôle, et non le métier, qui détermine vos droits d'accès au DMP (dossier médical partagé)."
    };
}

/// Rôle = genre d'activité (TRE_R22, the GENR08–GENR13 of value set JDV_J116 for professionals à
/// rôle): "ce que je fais" in the structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Role {
    Genr08,
    Genr09,
    Genr10,
    Genr11,
    Genr12,
    Genr13,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleError {
    #[error("Choisissez votre rôle : il décrit ce que vous faites au quotidien dans la structure.")]
    Missing,
    #[error("Le rôle doit être l'un des codes GENR08 à GENR13 (par exemple GENR10).")]
    Unknown,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Genr08,
        Role::Genr09,
        Role::Genr10,
        Role::Genr11,
        Role::Genr12,
        Role::Genr13,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Genr08 => "GENR08",
            Role::Genr09 => "GENR09",
            Role::Genr10 => "GENR10",
            Role::Genr11 => "GENR11",
            Role::Genr12 => "GENR12",
            Role::Genr13 => "GENR13",
        }
    }

    /// The label of value set JDV_J116.
    pub fn label(self) -> &'static str {
        match self {
            Role::Genr08 => "Coordination et orientation",
            Role::Genr09 => {
                "Administratif ou appui à l'organisation de l'accompagnement social/médico-social"
            }
            Role::Genr10 => {
                "Accompagnement social/médico-social à la vie sociale, professionnelle, éducative"
            }
            Role::Genr11 => "Accompagnement social/médico-social au soin",
            Role::Genr12 => "Encadrement et organisation de l'accompagnement social/médico-social",
            Role::Genr13 => "Activité médico-administrative",
        }
    }

    /// A short label for buttons and summaries.
    pub fn short_label(self) -> &'static str {
        match self {
            Role::Genr08 => "Coordination et orientation",
            Role::Genr09 => "Administratif ou appui à l'organisation",
            Role::Genr10 => "Accompagnement à la vie sociale, professionnelle et éducative",
            Role::Genr11 => "Accompagnement au soin",
            Role::Genr12 => "Encadrement et organisation",
            Role::Genr13 => "Médico-administratif",
        }
    }

    /// "Ce que je fais", in plain French, with typical métiers; ends with the DMP note.
    pub fn description(self) -> &'static str {
        match self {
            Role::Genr08 => concat!(
                "Je coordonne le parcours des personnes accompagnées et je les oriente vers les \
                 bons services, professionnels ou structures, du sanitaire, du social ou du \
                 médico-social. Par exemple : coordonnateur de parcours, médiateur familial, \
                 professionnel de l'accueil et de l'orientation. ",
                dmp_note!()
            ),
            Role::Genr09 => concat!(
                "J'exerce des fonctions administratives ou j'appuie l'organisation de \
                 l'accompagnement des personnes : accueil, admissions, secrétariat, logistique, \
                 gestion. Par exemple : gestionnaire des admissions, agent d'accueil, archiviste, \
                 professionnel de la logistique ou des ressources humaines. ",
                dmp_note!()
            ),
            Role::Genr10 => concat!(
                "J'accompagne les personnes dans leur vie quotidienne, sociale, professionnelle ou \
                 éducative. Par exemple : éducateur spécialisé, moniteur éducateur, éducateur de \
                 jeunes enfants, accompagnant éducatif et social, conseiller en économie sociale \
                 et familiale, animateur. ",
                dmp_note!()
            ),
            Role::Genr11 => concat!(
                "J'accompagne les personnes dans leurs soins et les gestes de la vie quotidienne \
                 liés à leur santé. Par exemple : aide-soignant, auxiliaire de puériculture, \
                 accompagnant éducatif et social, aide à domicile, surveillant de nuit. ",
                dmp_note!()
            ),
            Role::Genr12 => concat!(
                "J'encadre une équipe ou j'organise l'accompagnement des personnes dans la \
                 structure. Par exemple : directeur d'établissement, chef de service, responsable \
                 de secteur. ",
                dmp_note!()
            ),
            Role::Genr13 => concat!(
                "J'exerce une activité administrative en lien avec le suivi médical des personnes, \
                 au contact de leurs informations de santé. Par exemple : secrétaire médicale \
                 (secrétaire assistante médico-administrative), assistant médical, technicien \
                 d'informations médicales. ",
                dmp_note!()
            ),
        }
    }

    pub fn parse(code: &str) -> Result<Self, RoleError> {
        let code = code.trim();
        if code.is_empty() {
            return Err(RoleError::Missing);
        }
        Role::ALL
            .into_iter()
            .find(|r| r.code().eq_ignore_ascii_case(code))
            .ok_or(RoleError::Unknown)
    }
}

string_form!(Role, RoleError, code);

/// Mode d'exercice (TRE_R23).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ModeExercice {
    Salarie,
    Liberal,
    Benevole,
    Indirect,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModeExerciceError {
    #[error(
        "Choisissez le mode d'exercice : salarié (S), libéral (L), bénévole (B) ou indirect (I)."
    )]
    Missing,
    #[error("Le mode d'exercice doit être S (salarié), L (libéral), B (bénévole) ou I (indirect).")]
    Unknown,
}

impl ModeExercice {
    pub const ALL: [ModeExercice; 4] = [
        ModeExercice::Salarie,
        ModeExercice::Liberal,
        ModeExercice::Benevole,
        ModeExercice::Indirect,
    ];

    pub fn code(self) -> &'static str {
        match self {
            ModeExercice::Salarie => "S",
            ModeExercice::Liberal => "L",
            ModeExercice::Benevole => "B",
            ModeExercice::Indirect => "I",
        }
    }

    /// TRE_R23's label.
    pub fn label(self) -> &'static str {
        match self {
            ModeExercice::Salarie => "Salarié",
            ModeExercice::Liberal => "Libéral, indépendant, artisan, commerçant",
            ModeExercice::Benevole => "Bénévole",
            ModeExercice::Indirect => "Indirect",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            ModeExercice::Salarie => "Je suis employé(e) par la structure.",
            ModeExercice::Liberal => "J'exerce à mon compte et j'interviens dans la structure.",
            ModeExercice::Benevole => "J'interviens dans la structure sans être rémunéré(e).",
            ModeExercice::Indirect => {
                "J'interviens dans la structure pour le compte d'une autre entreprise : intérim, sous-traitance."
            }
        }
    }

    pub fn parse(code: &str) -> Result<Self, ModeExerciceError> {
        let code = code.trim();
        if code.is_empty() {
            return Err(ModeExerciceError::Missing);
        }
        ModeExercice::ALL
            .into_iter()
            .find(|m| m.code().eq_ignore_ascii_case(code))
            .ok_or(ModeExerciceError::Unknown)
    }
}

string_form!(ModeExercice, ModeExerciceError, code);

/// One métier of the JDV_J121 list (TRE_R85 "rôle dans la prise en charge"), with the names people
/// use for it.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct MetierEntry {
    pub code: &'static str,
    /// The official label.
    pub label: &'static str,
    /// Usual names, abbreviations and former labels that lead to this code.
    pub aliases: &'static [&'static str],
}

const fn m(
    code: &'static str,
    label: &'static str,
    aliases: &'static [&'static str],
) -> MetierEntry {
    MetierEntry {
        code,
        label,
        aliases,
    }
}

/// JDV_J121_RolePriseCharge_ENREG, version 2026-05: the 60 métiers offered to professionals à rôle.
static METIERS: [MetierEntry; 60] = [
    m(
        "307",
        "Mandataire judiciaire à la protection des majeurs (MJPM)",
        &["MJPM", "mandataire judiciaire", "tutelle", "curatelle"],
    ),
    m("312", "Autre professionnel", &[]),
    m("313", "Aide-soignant", &["AS", "aide-soignante"]),
    m("314", "Ambulancier", &["ambulancière"]),
    m("315", "Auxiliaire de puériculture", &["AP"]),
    m("316", "Préparateur en pharmacie hospitalière", &["PPH"]),
    m("317", "Préparateur en pharmacie", &[]),
    m(
        "319",
        "Technicien de l'intervention sociale et familiale",
        &["TISF"],
    ),
    m(
        "320",
        "Conseiller en économie sociale et familiale",
        &["CESF"],
    ),
    m("321", "Médiateur familial", &[]),
    m("322", "Assistant familial", &["famille d'accueil"]),
    m("324", "Moniteur éducateur", &["ME"]),
    m("325", "Educateur de jeunes enfants", &["EJE"]),
    m("326", "Educateur spécialisé", &["ES"]),
    m("327", "Educateur technique spécialisé", &["ETS"]),
    m(
        "328",
        "Accompagnant éducatif et social",
        &[
            "AES",
            "AMP",
            "aide médico-psychologique",
            "AVS",
            "auxiliaire de vie sociale",
            "DEAES",
        ],
    ),
    m("329", "Conseiller en génétique", &[]),
    m(
        "330",
        "Coordonnateur de parcours",
        &["coordinateur de parcours", "référent de parcours"],
    ),
    m(
        "331",
        "Secrétaire assistante médico-administrative",
        &["secrétaire médicale", "secrétaire médical", "SAMA"],
    ),
    m("332", "Assistant médical", &[]),
    m("333", "Responsable de secteur", &[]),
    m("334", "Biologiste médical ni médecin ni pharmacien", &[]),
    m("335", "Gestionnaire alertes et urgences sanitaires", &[]),
    m(
        "336",
        "Autre professionnel intervenant dans l'accueil et l'orientation des personnes",
        &["agent d'accueil", "hôtesse d'accueil"],
    ),
    m(
        "337",
        "Autre professionnel intervenant dans la logistique",
        &["magasinier"],
    ),
    m(
        "338",
        "Autre professionnel intervenant dans l'hôtellerie et la restauration",
        &[
            "ASH",
            "agent de service hospitalier",
            "agent des services hospitaliers",
            "cuisinier",
        ],
    ),
    m(
        "339",
        "Autre professionnel intervenant dans la direction de la qualité, hygiène, sécurité et environnement",
        &[
            "Autre professionnel intervenant dans la direction et la qualité",
            "Autre professionnel de la qualité, hygiène, sécurité et environnement",
            "qualiticien",
            "QHSE",
        ],
    ),
    m(
        "340",
        "Autre professionnel intervenant dans la direction des systèmes d'information",
        &["informaticien", "DSI"],
    ),
    m(
        "341",
        "Autre professionnel intervenant dans la direction des finances et comptabilité",
        &["comptable"],
    ),
    m(
        "342",
        "Autre professionnel intervenant dans la direction de la communication",
        &["chargé de communication"],
    ),
    m(
        "343",
        "Autre professionnel intervenant dans la direction des ressources humaines",
        &["RH", "DRH"],
    ),
    m(
        "344",
        "Autre professionnel intervenant dans la direction des affaires médicales",
        &[],
    ),
    m(
        "345",
        "Autre professionnel intervenant dans le social, éducatif, psychologie et culturel",
        &[],
    ),
    m("347", "Etudiant - aide-soignant", &["élève aide-soignant"]),
    m(
        "348",
        "Etudiant - auxiliaire de puériculture",
        &["élève auxiliaire de puériculture"],
    ),
    m(
        "349",
        "Etudiant - masseur-kinésithérapeute",
        &["étudiant kiné"],
    ),
    m("354", "Externe en médecine", &["étudiant en médecine"]),
    m(
        "355",
        "Externe en odontologie",
        &["étudiant en odontologie", "étudiant en chirurgie dentaire"],
    ),
    m(
        "356",
        "Externe en maïeutique",
        &["étudiant sage-femme", "étudiant en maïeutique"],
    ),
    m("357", "Externe en pharmacie", &["étudiant en pharmacie"]),
    m("358", "Autre étudiant", &["stagiaire"]),
    m(
        "359",
        "Directeur d'établissement",
        &["directeur", "directrice"],
    ),
    m("360", "Brancardier", &[]),
    m(
        "361",
        "Educateur en activité physique adaptée",
        &["APA", "EAPA", "enseignant en activité physique adaptée"],
    ),
    m("362", "Technicien d'informations médicales", &["TIM"]),
    m("363", "Attaché de recherche clinique", &["ARC"]),
    m(
        "364",
        "Praticien A Diplôme Hors Union Européenne (PADHUE)",
        &["PADHUE"],
    ),
    m(
        "365",
        "Gestionnaire admissions / frais de séjour / traitement externe",
        &["agent des admissions"],
    ),
    m("366", "Archiviste", &[]),
    m(
        "367",
        "Surveillant de nuit",
        &["veilleur de nuit", "veilleuse de nuit"],
    ),
    m("368", "Animateur", &[]),
    m("370", "Opérateur de Soins Non Programmés", &["OSNP"]),
    m("371", "Aide à domicile qualifié(e)", &[]),
    m("372", "Aide à domicile", &["aide ménagère"]),
    m("374", "Agent d'autorité d'enregistrement", &[]),
    m("375", "Conseiller conjugal et familial", &[]),
    m("376", "PADHUE - Médecin", &[]),
    m("377", "PADHUE - Pharmacien", &[]),
    m("378", "PADHUE - Sage Femme", &[]),
    m("379", "PADHUE - Chirurgien Dentiste", &[]),
];

/// Withdrawn codes still found in older documents and systems, and the code that replaces each.
pub const LEGACY_METIERS: [(&str, &str); 4] = [
    ("318", "328"),
    ("323", "328"),
    ("350", "372"),
    ("369", "334"),
];

/// A métier of the JDV_J121 list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Metier(&'static MetierEntry);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetierError {
    #[error("Choisissez votre métier dans la liste.")]
    Missing,
    #[error(
        "Le métier doit être l'un des codes à 3 chiffres de la liste des métiers RPPS+ (par exemple 326)."
    )]
    Unknown,
}

impl Metier {
    /// The 60 métiers, in code order.
    pub const ALL: &'static [MetierEntry] = &METIERS;

    /// A current code, or a withdrawn one (318, 323, 350, 369), which gives its replacement.
    pub fn parse(code: &str) -> Result<Self, MetierError> {
        let code = code.trim();
        if code.is_empty() {
            return Err(MetierError::Missing);
        }
        let code = LEGACY_METIERS
            .iter()
            .find(|(old, _)| *old == code)
            .map_or(code, |(_, new)| new);
        Self::ALL
            .iter()
            .find(|e| e.code == code)
            .map(Metier)
            .ok_or(MetierError::Unknown)
    }

    pub fn all() -> impl Iterator<Item = Metier> {
        Self::ALL.iter().map(Metier)
    }

    pub fn code(&self) -> &'static str {
        self.0.code
    }

    pub fn label(&self) -> &'static str {
        self.0.label
    }

    pub fn aliases(&self) -> &'static [&'static str] {
        self.0.aliases
    }

    pub fn entry(&self) -> &'static MetierEntry {
        self.0
    }

    /// Métiers matching `query` (a code, a label, a usual name or abbreviation), best first: exact
    /// code (current or withdrawn), exact label or alias, label or alias starting with the query,
    /// every query word starting a word of the label or an alias (plurals and feminine forms
    /// folded), then label or alias containing the query. Accents, case and punctuation are
    /// ignored; within a rank, code order.
    pub fn search(query: &str) -> Vec<&'static MetierEntry> {
        let query = normalise(query);
        if query.is_empty() {
            return Vec::new();
        }
        let by_code = Metier::parse(&query).ok();
        let words: Vec<String> = query.split(' ').map(stem).collect();
        let mut ranked: Vec<(u8, &'static MetierEntry)> = Self::ALL
            .iter()
            .filter_map(|entry| {
                let names: Vec<String> = std::iter::once(entry.label)
                    .chain(entry.aliases.iter().copied())
                    .map(normalise)
                    .collect();
                let rank = if by_code.is_some_and(|m| m.0 == entry) {
                    0
                } else if names.contains(&query) {
                    1
                } else if names.iter().any(|n| n.starts_with(&query)) {
                    2
                } else if word_prefix_match(&words, &names) {
                    3
                } else if names.iter().any(|n| n.contains(&query)) {
                    4
                } else {
                    return None;
                };
                Some((rank, entry))
            })
            .collect();
        ranked.sort_by_key(|(rank, _)| *rank);
        ranked.into_iter().map(|(_, entry)| entry).collect()
    }
}

impl MetierEntry {
    pub fn metier(&'static self) -> Metier {
        Metier(self)
    }
}

string_form!(Metier, MetierError, code);

/// Folded, with punctuation turned into single spaces: `"Aide-soignant(e)"` → `"aide soignant e"`.
fn normalise(s: &str) -> String {
    let folded: String = fold(s)
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A crude French stem so that plurals and feminine forms meet their label: `educatrices` →
/// `educateur`, `specialisee` → `specialis`, `secretaires` → `secretair`. Applied to both sides.
fn stem(word: &str) -> String {
    if word.len() <= 4 {
        return word.to_owned();
    }
    let mut w = word.strip_suffix(['s', 'x']).unwrap_or(word).to_owned();
    for (feminine, masculine) in [
        ("trice", "teur"),
        ("euse", "eur"),
        ("ienne", "ien"),
        ("ere", "er"),
        ("ive", "if"),
    ] {
        if let Some(base) = w.strip_suffix(feminine) {
            w = format!("{base}{masculine}");
            break;
        }
    }
    // Twice, for `-ee`: `specialisee` → `specialis`.
    for _ in 0..2 {
        if w.len() > 4
            && let Some(base) = w.strip_suffix('e')
        {
            w = base.to_owned();
        }
    }
    w
}

/// Every query word (stemmed) starts some word (stemmed) of the entry's names, taken together so
/// that "Aide médico-psychologique (AMP)" meets an alias and an abbreviation at once.
fn word_prefix_match(query_words: &[String], names: &[String]) -> bool {
    let name_words: Vec<String> = names.iter().flat_map(|n| n.split(' ')).map(stem).collect();
    query_words
        .iter()
        .all(|q| name_words.iter().any(|w| w.starts_with(q.as_str())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::assert_french_message;
    use proptest::prelude::*;

    #[test]
    fn roles_have_codes_labels_and_descriptions() {
        assert_eq!(Role::ALL.len(), 6);
        for role in Role::ALL {
            assert_eq!(Role::parse(role.code()), Ok(role));
            assert_eq!(Role::parse(&role.code().to_lowercase()), Ok(role));
            assert!(!role.label().is_empty() && !role.short_label().is_empty());
            assert!(
                role.description().contains("Par exemple"),
                "{}",
                role.code()
            );
            assert!(role.description().ends_with(dmp_note!()));
            assert_french_message(role.description());
        }
        assert_eq!(Role::Genr13.short_label(), "Médico-administratif");
        for (input, expected) in [
            ("", RoleError::Missing),
            ("GENR01", RoleError::Unknown),
            ("GENR14", RoleError::Unknown),
        ] {
            let error = Role::parse(input).expect_err(input);
            assert_eq!(error, expected);
            assert_french_message(&error.to_string());
        }
    }

    #[test]
    fn modes_exercice() {
        let codes: Vec<&str> = ModeExercice::ALL.iter().map(|m| m.code()).collect();
        assert_eq!(codes, ["S", "L", "B", "I"]);
        for mode in ModeExercice::ALL {
            assert_eq!(ModeExercice::parse(&mode.code().to_lowercase()), Ok(mode));
            assert_french_message(mode.description());
        }
        for (input, expected) in [
            ("", ModeExerciceError::Missing),
            ("X", ModeExerciceError::Unknown),
        ] {
            let error = ModeExercice::parse(input).expect_err(input);
            assert_eq!(error, expected);
            assert_french_message(&error.to_string());
        }
    }

    #[test]
    fn the_60_metiers_are_distinct_three_digit_codes_in_order() {
        assert_eq!(Metier::ALL.len(), 60);
        let codes: Vec<&str> = Metier::ALL.iter().map(|e| e.code).collect();
        assert!(codes.windows(2).all(|w| w[0] < w[1]));
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 3 && c.bytes().all(|b| b.is_ascii_digit()))
        );
        for entry in Metier::ALL {
            assert!(
                !entry.label.contains('…') && !entry.label.is_empty(),
                "{}",
                entry.code
            );
            assert_eq!(Metier::parse(entry.code).map(|m| m.entry()), Ok(entry));
        }
        assert_eq!(
            Metier::parse("337").map(|m| m.label()),
            Ok("Autre professionnel intervenant dans la logistique")
        );
    }

    #[test]
    fn legacy_metier_codes_map_to_the_current_ones() {
        for (old, new) in [
            ("318", "328"),
            ("323", "328"),
            ("350", "372"),
            ("369", "334"),
        ] {
            assert_eq!(Metier::parse(old).map(|m| m.code()), Ok(new));
            assert!(!Metier::ALL.iter().any(|e| e.code == old));
        }
        for (input, expected) in [
            ("", MetierError::Missing),
            ("346", MetierError::Unknown),
            ("AMP", MetierError::Unknown),
        ] {
            let error = Metier::parse(input).expect_err(input);
            assert_eq!(error, expected);
            assert_french_message(&error.to_string());
        }
    }

    fn first(query: &str) -> Option<&'static str> {
        Metier::search(query).first().map(|e| e.code)
    }

    #[test]
    fn search_leads_usual_names_to_the_current_code() {
        for (query, code) in [
            ("326", "326"),
            ("318", "328"),
            ("AMP", "328"),
            ("amp", "328"),
            ("AVS", "328"),
            ("AES", "328"),
            ("aide médico-psychologique", "328"),
            ("Aide médico-psychologique (AMP)", "328"),
            ("auxiliaire de vie sociale", "328"),
            ("ES", "326"),
            ("ME", "324"),
            ("EJE", "325"),
            ("TISF", "319"),
            ("CESF", "320"),
            ("MJPM", "307"),
            ("secrétaire médicale", "331"),
            ("SECRETAIRE MEDICALE", "331"),
            ("secretaire", "331"),
            ("directeur", "359"),
            ("directrice", "359"),
            ("éducatrice spécialisée", "326"),
            ("educateur specialise", "326"),
            ("monitrice éducatrice", "324"),
            ("aide-soignante", "313"),
            ("aides soignantes", "313"),
            ("étudiant", "347"),
            ("Etudiants", "347"),
            (
                "Autre professionnel intervenant dans la direction et la qualité",
                "339",
            ),
            (
                "Autre professionnel intervenant dans la direction des finances",
                "341",
            ),
            (
                "Autre professionnel intervenant dans l’hôtellerie et la restauration",
                "338",
            ),
            ("Aide à domicile qualifié(e)", "371"),
            ("aide a domicile", "372"),
            (
                "Mandataire judiciaire à la protection des majeurs (MJPM)",
                "307",
            ),
            ("Préparateur en pharmacie hospitalière", "316"),
            ("jeunes enfants", "325"),
            ("kiné", "349"),
            ("veilleur de nuit", "367"),
            ("logistique", "337"),
        ] {
            assert_eq!(first(query), Some(code), "{query}");
        }
    }

    #[test]
    fn search_ranks_and_covers_every_student_code() {
        let students: Vec<&str> = Metier::search("étudiant").iter().map(|e| e.code).collect();
        for code in ["347", "348", "349", "354", "355", "356", "357", "358"] {
            assert!(students.contains(&code), "{code} in {students:?}");
        }
        // Labels starting with the query come before labels merely containing a word starting with
        // it.
        assert_eq!(&students[..3], ["347", "348", "349"]);
        let directeur: Vec<&str> = Metier::search("direct").iter().map(|e| e.code).collect();
        assert_eq!(directeur.first(), Some(&"359"));
        assert!(directeur.contains(&"343"));
        assert!(Metier::search("").is_empty());
        assert!(Metier::search("  - ").is_empty());
        assert!(Metier::search("astronaute").is_empty());
    }

    #[test]
    fn stems_meet_in_the_middle() {
        for (a, b) in [
            ("educatrices", "educateur"),
            ("specialisee", "specialise"),
            ("secretaires", "secretaire"),
            ("infirmiere", "infirmier"),
        ] {
            assert_eq!(stem(a), stem(b), "{a} / {b}");
        }
    }

    #[test]
    fn every_label_and_alias_ranks_its_metier_first() {
        for entry in Metier::ALL {
            for name in std::iter::once(entry.label).chain(entry.aliases.iter().copied()) {
                for query in [name.to_owned(), name.to_uppercase(), fold(name)] {
                    let found = Metier::search(&query);
                    assert_eq!(found.first().map(|e| e.code), Some(entry.code), "{query}");
                }
            }
        }
    }

    proptest! {
        #[test]
        fn a_label_being_typed_finds_its_metier(index in 0usize..60, typed in 3usize..40) {
            let entry = &Metier::ALL[index];
            let query: String = entry.label.chars().take(typed).collect();
            prop_assert!(Metier::search(&query).contains(&entry), "{} → {}", query, entry.code);
        }

        #[test]
        fn search_never_panics(query in ".{0,30}") {
            let _ = Metier::search(&query);
        }
    }
}
