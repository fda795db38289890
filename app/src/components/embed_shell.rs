//! The frame of the embedded form: no site header, navigation or footer (the host page has its own), only
//! `<main>`; it provides [`Embedded`] to the form (which reports its height to the host page once its site is
//! shown, see `pages::preinscription`).

use leptos::prelude::*;

use crate::embed::Embedded;

/// Class of `<html>` that selects the compact styles (`style/main.css`, section "embed").
const EMBED_CLASS: &str = "embed";

#[component]
pub fn EmbedShell(embedded: Embedded, children: Children) -> impl IntoView {
    // The entry point's template sets it already; the fallback page (`preinscription.html`) does not.
    if let Some(root) = document().document_element() {
        _ = root.class_list().add_1(EMBED_CLASS);
    }
    provide_context(embedded);
    view! {
        <main id="contenu" tabindex="-1" class="site-main">
            <div class="container">{children()}</div>
        </main>
    }
}
