//! Enrôle single-page app, client-side rendered with Leptos.
//!
//! Two entry points are built from this crate (`bin/public.rs`, `bin/gestion.rs`) so that the professional's
//! phone never downloads the gestionnaire's screens: each binary only links the pages it routes to. This library
//! holds what both share: the shell, the typed API client and the plain-Rust logic behind the pages.

pub mod api;
pub mod browser;
pub mod components;
pub mod embed;
pub mod espace;
pub mod first_paint;
pub mod gestion;
pub mod json;
pub mod metiers;
pub mod pages;
pub mod preinscription;
pub mod routes;
pub mod suivi;

use leptos::prelude::*;

/// Name of the application, shown in the header and in every page title.
pub const APP_NAME: &str = "Enrôle";

/// Mounts `app` in place of the static first-paint content of `<body>` (see `index.html`); what the entry point
/// kept with [`first_paint::keep`] beforehand survives, for its views to adopt.
pub fn start<F, N>(app: F)
where
    F: FnOnce() -> N + 'static,
    N: IntoView,
{
    console_error_panic_hook::set_once();
    if let Some(body) = document().body() {
        // Cleared and remounted in the same task: the browser never paints an empty page.
        body.set_inner_html("");
    }
    leptos::mount::mount_to_body(app);
}

/// The document title of a page: the page first, so that tabs and screen readers say what differs.
pub fn page_title(page: &str) -> String {
    if page.is_empty() {
        APP_NAME.to_owned()
    } else {
        format!("{page} · {APP_NAME}")
    }
}

/// Sets the document title; each page calls it when it renders.
pub fn set_title(page: &str) {
    document().set_title(&page_title(page));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_titles_name_the_page_then_the_app() {
        assert_eq!(page_title("Rôles et métiers"), "Rôles et métiers · Enrôle");
        assert_eq!(page_title(""), "Enrôle");
    }
}
