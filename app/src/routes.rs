//! The addresses of the app and the navigation built from them.
//!
//! Links that cross from one entry point to the other are full page loads (`rel="external"`): the client router of
//! one bundle cannot render the other bundle's pages.

/// Which entry point is running; decides the navigation and where "home" is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Space {
    /// The public bundle: home, pré-inscription, rôles et métiers.
    Public,
    /// The gestionnaire bundle, everything under `/gestion`.
    Gestion,
}

/// Pages of the public entry point.
pub const HOME: &str = "/";
pub const PREINSCRIPTION: &str = "/preinscription";
pub const ROLES: &str = "/roles";
/// Root of the gestionnaire entry point.
pub const GESTION: &str = "/gestion";

/// One link of the main navigation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NavItem {
    pub label: &'static str,
    pub href: &'static str,
    /// Served by the other entry point: a full page load, not a client-side navigation.
    pub external: bool,
}

impl Space {
    /// The entry point that serves `path`.
    pub fn of_path(path: &str) -> Self {
        if path == GESTION || path.starts_with("/gestion/") {
            Self::Gestion
        } else {
            Self::Public
        }
    }

    /// Where the brand link in the header leads.
    pub fn home(self) -> &'static str {
        match self {
            Self::Public => HOME,
            Self::Gestion => GESTION,
        }
    }

    /// The main navigation of this entry point.
    pub fn nav(self) -> Vec<NavItem> {
        [
            ("Accueil", HOME),
            ("Je me pré-enregistre", PREINSCRIPTION),
            ("Rôles et métiers", ROLES),
            ("Espace gestionnaire", GESTION),
        ]
        .into_iter()
        .map(|(label, href)| NavItem {
            label,
            href,
            external: Self::of_path(href) != self,
        })
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_belong_to_the_entry_point_that_serves_them() {
        assert_eq!(Space::of_path("/"), Space::Public);
        assert_eq!(Space::of_path("/roles"), Space::Public);
        assert_eq!(Space::of_path("/gestionnaire"), Space::Public);
        assert_eq!(Space::of_path("/gestion"), Space::Gestion);
        assert_eq!(Space::of_path("/gestion/demandes"), Space::Gestion);
    }

    #[test]
    fn links_to_the_other_entry_point_are_full_page_loads() {
        for space in [Space::Public, Space::Gestion] {
            for item in space.nav() {
                assert_eq!(
                    item.external,
                    Space::of_path(item.href) != space,
                    "{item:?} from {space:?}"
                );
            }
        }
        let from_public = Space::Public.nav();
        assert!(from_public.iter().any(|i| i.href == GESTION && i.external));
        assert!(from_public.iter().any(|i| i.href == ROLES && !i.external));
        let from_gestion = Space::Gestion.nav();
        assert!(from_gestion.iter().any(|i| i.href == HOME && i.external));
    }
}
