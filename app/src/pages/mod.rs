//! One module per page. The public pages and the gestionnaire's live side by side; each entry point links only the
//! ones its router names, so the other bundle's pages never reach it.

pub mod home;
pub mod not_found;
pub mod preinscription;
pub mod roles;
pub mod suivi;
