//! Entry point of the pré-inscription form alone, served for `/preinscription` (from `preinscription.html`) and,
//! compact, for the form embedded in an intranet, `/integration/formulaire` (from `integration.html`).
//!
//! A professional sent a link to the form downloads the form and the shared runtime, not the home, rôles and status
//! pages: a smaller first visit on a phone. The public entry point routes the form too, so that its home page leads
//! there without a reload. Every other link from here is a full page load (`Space::Preinscription`).

use app::embed::{EMBED_PATH, Embedded};
use app::pages::preinscription::Preinscription;
use app::{
    components::{EmbedShell, Shell},
    routes::Space,
};
use leptos::prelude::*;
use leptos_router::components::Router;
use leptos_router::hooks::use_query_map;

fn main() {
    app::start(App);
}

#[component]
fn App() -> impl IntoView {
    let embedded = window()
        .location()
        .pathname()
        .is_ok_and(|p| p == EMBED_PATH);
    view! {
        <Router>
            // No `<Routes>`: the server serves this entry point for two paths only and every other link from it is
            // a full page load, so route matching (and its code) would choose nothing.
            {if embedded {
                view! { <Embed/> }.into_any()
            } else {
                view! {
                    <Shell space=Space::Preinscription>
                        <Preinscription/>
                    </Shell>
                }.into_any()
            }}
        </Router>
    }
}

#[component]
fn Embed() -> impl IntoView {
    provide_context(Space::Preinscription);
    let query = use_query_map();
    let embedded = query.with_untracked(|q| {
        Embedded::from_query(q.get("finess").as_deref(), q.get("parent").as_deref())
    });
    view! {
        <EmbedShell embedded>
            <Preinscription/>
        </EmbedShell>
    }
}
