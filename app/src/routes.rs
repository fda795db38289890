//! The addresses of the app and the navigation built from them.
//!
//! Links that cross from one entry point to the other are full page loads (`rel="external"`): the client router of
//! one bundle cannot render the other bundle's pages.

/// Which entry point is running; decides the navigation and where "home" is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Space {
    /// The public bundle: home, rôles et métiers, status pages.
    Public,
    /// The gestionnaire bundle, everything under `/gestion`.
    Gestion,
    /// The pré-inscription form alone, served for `/preinscription`: the phone downloads the form's code only
    /// there, and the home page stays light. Every other link from it is a full page load.
    Preinscription,
    /// The professional's e-CPS activation and own space (`/activation`, `/mon-espace`): its own bundle, so that the
    /// home page stays light.
    Espace,
}

/// Pages of the public entry point.
pub const HOME: &str = "/";
pub const PREINSCRIPTION: &str = "/preinscription";
pub const ROLES: &str = "/roles";
/// Pages of the professional's space entry point.
pub const ACTIVATION: &str = "/activation";
pub const MON_ESPACE: &str = "/mon-espace";
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
    /// The entry point whose router owns `path`.
    pub fn of_path(path: &str) -> Self {
        if path == GESTION || path.starts_with("/gestion/") {
            Self::Gestion
        } else if path == PREINSCRIPTION {
            Self::Preinscription
        } else if path == ACTIVATION || path == MON_ESPACE {
            Self::Espace
        } else {
            Self::Public
        }
    }

    /// Whether this entry point's client router renders `path`; any other link is a full page load.
    pub fn routes(self, path: &str) -> bool {
        Self::of_path(path) == self
    }

    /// The `rel` of a link to `href` from this entry point: `external` (a full page load) unless it routes it.
    pub fn link_rel(self, href: &str) -> Option<&'static str> {
        (!self.routes(href)).then_some("external")
    }

    /// Where the brand link in the header leads.
    pub fn home(self) -> &'static str {
        match self {
            Self::Public | Self::Preinscription | Self::Espace => HOME,
            Self::Gestion => GESTION,
        }
    }

    /// The main navigation of this entry point.
    pub fn nav(self) -> Vec<NavItem> {
        [
            ("Accueil", HOME),
            ("Je me pré-enregistre", PREINSCRIPTION),
            ("Rôles et métiers", ROLES),
            ("Mon espace", MON_ESPACE),
            ("Espace gestionnaire", GESTION),
        ]
        .into_iter()
        .map(|(label, href)| NavItem {
            label,
            href,
            external: !self.routes(href),
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
        assert_eq!(Space::of_path("/preinscription"), Space::Preinscription);
        assert_eq!(Space::of_path("/gestion"), Space::Gestion);
        assert_eq!(Space::of_path("/gestion/demandes"), Space::Gestion);
        assert_eq!(Space::of_path("/activation"), Space::Espace);
        assert_eq!(Space::of_path("/mon-espace"), Space::Espace);
        assert_eq!(Space::Espace.link_rel(HOME), Some("external"));
        assert_eq!(Space::Espace.link_rel(ACTIVATION), None);
        assert_eq!(Space::Public.link_rel(MON_ESPACE), Some("external"));
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

    #[test]
    fn the_form_entry_point_routes_only_the_form() {
        let space = Space::Preinscription;
        for item in space.nav() {
            assert_eq!(item.external, item.href != PREINSCRIPTION, "{item:?}");
        }
        assert_eq!(space.link_rel(PREINSCRIPTION), None);
        assert_eq!(space.link_rel(HOME), Some("external"));
        assert_eq!(space.link_rel(ROLES), Some("external"));
        assert_eq!(Space::Public.link_rel(PREINSCRIPTION), Some("external"));
        assert_eq!(Space::Public.link_rel(GESTION), Some("external"));
        assert_eq!(space.home(), HOME);
    }
}
