//! How people's data reads on every page and in every message: the way a French reader expects it. The
//! API carries machine forms (ISO dates, RFC 3339 UTC times, E.164 numbers, codes); the app and the server's
//! emails turn them into words here, and nowhere else.

use crate::civilite::Civilite;
use crate::contact::MobilePhone;
use crate::date::CalendarDate;

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// `AAAA-MM-JJ`, or the date of an RFC 3339 time, as `JJ/MM/AAAA`; anything else as is.
pub fn date(iso: &str) -> String {
    CalendarDate::parse_iso(iso.get(..10).unwrap_or(iso))
        .map_or_else(|_| iso.to_owned(), |d| d.to_french())
}

/// A day in words: "7 décembre 2026", "1er mai 2027".
pub fn long_date(day: CalendarDate) -> String {
    let month = MONTHS[usize::from(day.month() - 1)];
    match day.day() {
        1 => format!("1er {month} {}", day.year()),
        d => format!("{d} {month} {}", day.year()),
    }
}

/// A moment the API gave in RFC 3339, in Paris time and in words: "7 décembre 2026 à 21 h 29". Anything that
/// is not such a time is shown as is.
pub fn timestamp(rfc3339: &str) -> String {
    match ParisTime::parse_rfc3339(rfc3339) {
        Some(at) => at.to_string(),
        None => rfc3339.to_owned(),
    }
}

/// A civil time in Paris (Europe/Paris), to the minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParisTime {
    pub day: CalendarDate,
    pub hour: u8,
    pub minute: u8,
}

impl ParisTime {
    /// Paris time of `unix_seconds` (seconds since 1970-01-01 UTC): UTC+1, and UTC+2 from the last Sunday of
    /// March 01:00 UTC to the last Sunday of October 01:00 UTC (the EU rule in force since 1996), without a
    /// time-zone database. `None` outside years 1 to 9999.
    pub fn from_unix(unix_seconds: i64) -> Option<Self> {
        let utc_day = CalendarDate::from_days(unix_seconds.div_euclid(86_400)).ok()?;
        let summer_start = last_sunday_1am_utc(utc_day.year(), 3)?;
        let summer_end = last_sunday_1am_utc(utc_day.year(), 10)?;
        let offset = if (summer_start..summer_end).contains(&unix_seconds) {
            2 * 3600
        } else {
            3600
        };
        let local = unix_seconds.checked_add(offset)?;
        let seconds_of_day = local.rem_euclid(86_400);
        Some(Self {
            day: CalendarDate::from_days(local.div_euclid(86_400)).ok()?,
            hour: u8::try_from(seconds_of_day / 3600).ok()?,
            minute: u8::try_from(seconds_of_day % 3600 / 60).ok()?,
        })
    }

    /// Reads `AAAA-MM-JJTHH:MM:SS[.fraction](Z|±HH:MM)`, as the API writes times.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let s = s.trim();
        let day = CalendarDate::parse_iso(s.get(..10)?).ok()?;
        if !matches!(s.as_bytes().get(10), Some(b'T' | b't' | b' ')) {
            return None;
        }
        let number = |range: std::ops::Range<usize>| -> Option<i64> {
            let digits = s.get(range)?;
            digits
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| digits.parse().ok())?
        };
        let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
        if s.get(13..14)? != ":" || s.get(16..17)? != ":" || hour > 23 || minute > 59 || second > 60
        {
            return None;
        }
        let mut rest = s.get(19..)?;
        if let Some(fraction) = rest.strip_prefix('.') {
            let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            rest = &fraction[digits..];
        }
        let offset_seconds = match rest {
            "Z" | "z" => 0,
            _ => {
                let sign = match rest.as_bytes().first()? {
                    b'+' => 1,
                    b'-' => -1,
                    _ => return None,
                };
                let offset = rest.get(1..)?;
                if offset.len() != 5 || offset.get(2..3)? != ":" {
                    return None;
                }
                let (h, m): (i64, i64) = (
                    offset.get(..2)?.parse().ok()?,
                    offset.get(3..)?.parse().ok()?,
                );
                sign * (h * 3600 + m * 60)
            }
        };
        let unix = day.days_since_epoch() * 86_400 + hour * 3600 + minute * 60 + second.min(59)
            - offset_seconds;
        Self::from_unix(unix)
    }

    /// "21 h 29", the time alone.
    pub fn time(&self) -> String {
        format!("{} h {:02}", self.hour, self.minute)
    }
}

impl std::fmt::Display for ParisTime {
    /// "7 décembre 2026 à 21 h 29".
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} à {}", long_date(self.day), self.time())
    }
}

/// 01:00 UTC on the last Sunday of `month` (March or October, both 31 days long), in Unix seconds.
fn last_sunday_1am_utc(year: i32, month: u8) -> Option<i64> {
    let last_day = CalendarDate::from_ymd(year, month, 31)
        .ok()?
        .days_since_epoch();
    // 1970-01-01 was a Thursday: (days + 4) mod 7 counts from Sunday.
    let back = (last_day + 4).rem_euclid(7);
    Some((last_day - back) * 86_400 + 3600)
}

/// A mobile stored in E.164 (`+33612345678`) as a French reader dials it: `06 12 34 56 78`. Anything that is
/// not a French mobile is shown as is.
pub fn mobile(e164: &str) -> String {
    MobilePhone::parse(e164).map_or_else(|_| e164.to_owned(), |m| m.display_national())
}

/// A civilité code (`M`, `MME`) in words; an unknown code as is.
pub fn civilite(code: &str) -> String {
    Civilite::parse(code).map_or_else(|_| code.to_owned(), |c| c.label().to_owned())
}

/// A commune with its département's name: "Ajaccio (Corse-du-Sud)"; with the code when the département is
/// not one of the list ("Ajaccio (2A)").
pub fn commune(nom: &str, departement: &str) -> String {
    match departement_name(departement) {
        Some(name) => format!("{nom} ({name})"),
        None => format!("{nom} ({departement})"),
    }
}

/// The name of a département or overseas collectivity by its INSEE code (`2A`, `75`, `974`, `988`).
pub fn departement_name(code: &str) -> Option<&'static str> {
    DEPARTEMENTS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, name)| *name)
}

/// INSEE codes and names of the départements, the overseas départements and collectivities (COG).
const DEPARTEMENTS: [(&str, &str); 109] = [
    ("01", "Ain"),
    ("02", "Aisne"),
    ("03", "Allier"),
    ("04", "Alpes-de-Haute-Provence"),
    ("05", "Hautes-Alpes"),
    ("06", "Alpes-Maritimes"),
    ("07", "Ardèche"),
    ("08", "Ardennes"),
    ("09", "Ariège"),
    ("10", "Aube"),
    ("11", "Aude"),
    ("12", "Aveyron"),
    ("13", "Bouches-du-Rhône"),
    ("14", "Calvados"),
    ("15", "Cantal"),
    ("16", "Charente"),
    ("17", "Charente-Maritime"),
    ("18", "Cher"),
    ("19", "Corrèze"),
    ("21", "Côte-d'Or"),
    ("22", "Côtes-d'Armor"),
    ("23", "Creuse"),
    ("24", "Dordogne"),
    ("25", "Doubs"),
    ("26", "Drôme"),
    ("27", "Eure"),
    ("28", "Eure-et-Loir"),
    ("29", "Finistère"),
    ("2A", "Corse-du-Sud"),
    ("2B", "Haute-Corse"),
    ("30", "Gard"),
    ("31", "Haute-Garonne"),
    ("32", "Gers"),
    ("33", "Gironde"),
    ("34", "Hérault"),
    ("35", "Ille-et-Vilaine"),
    ("36", "Indre"),
    ("37", "Indre-et-Loire"),
    ("38", "Isère"),
    ("39", "Jura"),
    ("40", "Landes"),
    ("41", "Loir-et-Cher"),
    ("42", "Loire"),
    ("43", "Haute-Loire"),
    ("44", "Loire-Atlantique"),
    ("45", "Loiret"),
    ("46", "Lot"),
    ("47", "Lot-et-Garonne"),
    ("48", "Lozère"),
    ("49", "Maine-et-Loire"),
    ("50", "Manche"),
    ("51", "Marne"),
    ("52", "Haute-Marne"),
    ("53", "Mayenne"),
    ("54", "Meurthe-et-Moselle"),
    ("55", "Meuse"),
    ("56", "Morbihan"),
    ("57", "Moselle"),
    ("58", "Nièvre"),
    ("59", "Nord"),
    ("60", "Oise"),
    ("61", "Orne"),
    ("62", "Pas-de-Calais"),
    ("63", "Puy-de-Dôme"),
    ("64", "Pyrénées-Atlantiques"),
    ("65", "Hautes-Pyrénées"),
    ("66", "Pyrénées-Orientales"),
    ("67", "Bas-Rhin"),
    ("68", "Haut-Rhin"),
    ("69", "Rhône"),
    ("70", "Haute-Saône"),
    ("71", "Saône-et-Loire"),
    ("72", "Sarthe"),
    ("73", "Savoie"),
    ("74", "Haute-Savoie"),
    ("75", "Paris"),
    ("76", "Seine-Maritime"),
    ("77", "Seine-et-Marne"),
    ("78", "Yvelines"),
    ("79", "Deux-Sèvres"),
    ("80", "Somme"),
    ("81", "Tarn"),
    ("82", "Tarn-et-Garonne"),
    ("83", "Var"),
    ("84", "Vaucluse"),
    ("85", "Vendée"),
    ("86", "Vienne"),
    ("87", "Haute-Vienne"),
    ("88", "Vosges"),
    ("89", "Yonne"),
    ("90", "Territoire de Belfort"),
    ("91", "Essonne"),
    ("92", "Hauts-de-Seine"),
    ("93", "Seine-Saint-Denis"),
    ("94", "Val-de-Marne"),
    ("95", "Val-d'Oise"),
    ("971", "Guadeloupe"),
    ("972", "Martinique"),
    ("973", "Guyane"),
    ("974", "La Réunion"),
    ("975", "Saint-Pierre-et-Miquelon"),
    ("976", "Mayotte"),
    ("977", "Saint-Barthélemy"),
    ("978", "Saint-Martin"),
    ("984", "Terres australes et antarctiques françaises"),
    ("986", "Wallis-et-Futuna"),
    ("987", "Polynésie française"),
    ("988", "Nouvelle-Calédonie"),
    ("989", "Île de Clipperton"),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn paris(s: &str) -> String {
        timestamp(s)
    }

    #[test]
    fn dates_read_day_month_year() {
        assert_eq!(date("1988-11-03"), "03/11/1988");
        assert_eq!(date("2026-12-07T20:29:17Z"), "07/12/2026");
        assert_eq!(date("pas une date"), "pas une date");
        assert_eq!(date(""), "");
    }

    #[test]
    fn long_dates_spell_the_month_and_the_first() {
        let day = |y, m, d| CalendarDate::from_ymd(y, m, d).expect("date");
        assert_eq!(long_date(day(2026, 12, 7)), "7 décembre 2026");
        assert_eq!(long_date(day(2027, 5, 1)), "1er mai 2027");
        assert_eq!(long_date(day(2027, 8, 15)), "15 août 2027");
    }

    #[test]
    fn times_are_in_paris_in_winter_and_summer() {
        assert_eq!(paris("2026-12-07T20:29:17Z"), "7 décembre 2026 à 21 h 29");
        assert_eq!(paris("2026-07-14T10:30:00Z"), "14 juillet 2026 à 12 h 30");
        assert_eq!(paris("2026-11-26T23:30:00Z"), "27 novembre 2026 à 0 h 30");
        assert_eq!(
            paris("2026-12-07T20:29:17.123456Z"),
            "7 décembre 2026 à 21 h 29"
        );
        assert_eq!(
            paris("2026-12-07T21:29:17+01:00"),
            "7 décembre 2026 à 21 h 29"
        );
        assert_eq!(paris("2026-12-31T23:59:59Z"), "1er janvier 2027 à 0 h 59");
    }

    #[test]
    fn summer_time_starts_and_ends_at_one_in_the_morning_utc_on_the_last_sundays() {
        // 2026: 29 March and 25 October; 2027: 28 March and 31 October (the 31st itself a Sunday).
        for (utc, expected) in [
            ("2026-03-29T00:59:00Z", "1 h 59"),
            ("2026-03-29T01:00:00Z", "3 h 00"),
            ("2026-10-25T00:59:00Z", "2 h 59"),
            ("2026-10-25T01:00:00Z", "2 h 00"),
            ("2027-03-28T01:00:00Z", "3 h 00"),
            ("2027-10-31T00:30:00Z", "2 h 30"),
            ("2027-10-31T01:30:00Z", "2 h 30"),
        ] {
            let at = ParisTime::parse_rfc3339(utc).expect(utc);
            assert_eq!(at.time(), expected, "{utc}");
        }
    }

    #[test]
    fn what_is_not_a_time_is_shown_as_is() {
        for s in [
            "",
            "2026-12-07",
            "2026-12-07T25:00:00Z",
            "2026-12-07T20:29:17",
            "2026-12-07T20:29:17.Z",
            "2026-12-07T20:29:17+0100",
            "hier",
        ] {
            assert_eq!(timestamp(s), s);
        }
    }

    #[test]
    fn mobiles_read_in_pairs_and_civilites_in_words() {
        assert_eq!(mobile("+33612345678"), "06 12 34 56 78");
        assert_eq!(mobile("+262692123456"), "06 92 12 34 56");
        assert_eq!(mobile("inconnu"), "inconnu");
        assert_eq!(civilite("MME"), "Madame");
        assert_eq!(civilite("M"), "Monsieur");
        assert_eq!(civilite("X"), "X");
    }

    #[test]
    fn communes_carry_their_departement_name() {
        assert_eq!(commune("Ajaccio", "2A"), "Ajaccio (Corse-du-Sud)");
        assert_eq!(commune("Saint-Denis", "974"), "Saint-Denis (La Réunion)");
        assert_eq!(commune("Nouméa", "988"), "Nouméa (Nouvelle-Calédonie)");
        assert_eq!(commune("Ailleurs", "999"), "Ailleurs (999)");
        // Every département of the reference communes has a name.
        for code in ["01", "19", "21", "95", "971", "978", "984", "989"] {
            assert!(departement_name(code).is_some(), "{code}");
        }
    }
}
