//! Entry point of the gestionnaire space, everything under `/gestion` (served from `gestion.html`).

use app::pages::{gestion::GestionHome, not_found::NotFound};
use app::{components::Shell, routes::Space};
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

fn main() {
    app::start(App);
}

#[component]
fn App() -> impl IntoView {
    view! {
        <Router>
            <Shell space=Space::Gestion>
                <Routes fallback=|| view! { <NotFound space=Space::Gestion/> }>
                    <Route path=path!("/gestion") view=GestionHome/>
                </Routes>
            </Shell>
        </Router>
    }
}
