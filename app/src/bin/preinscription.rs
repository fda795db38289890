//! Entry point of the pré-inscription form alone, served for `/preinscription` (from `preinscription.html`).
//!
//! A professional sent a link to the form downloads the form and the shared runtime, not the home, rôles and status
//! pages: a smaller first visit on a phone. The public entry point routes the form too, so that its home page leads
//! there without a reload. Every other link from here is a full page load (`Space::Preinscription`).

use app::pages::preinscription::Preinscription;
use app::{components::Shell, routes::Space};
use leptos::prelude::*;
use leptos_router::components::Router;

fn main() {
    app::start(App);
}

#[component]
fn App() -> impl IntoView {
    view! {
        <Router>
            // No `<Routes>`: the server serves this entry point for `/preinscription` only and every other link
            // from it is a full page load, so route matching (and its code) would choose nothing.
            <Shell space=Space::Preinscription>
                <Preinscription/>
            </Shell>
        </Router>
    }
}
