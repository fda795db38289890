//! Entry point of the professional's space: e-CPS activation or sign-in (`/activation`) and their own data
//! (`/mon-espace`), served from `espace.html`. Its own bundle, so that neither the home page nor the form carries
//! this code. Every other link from here is a full page load (`Space::Espace`).

use app::espace::pages::{Activation, MonEspace};
use app::pages::not_found::NotFound;
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
            <Shell space=Space::Espace>
                <Routes fallback=|| view! { <NotFound space=Space::Espace/> }>
                    <Route path=path!("/activation") view=Activation/>
                    <Route path=path!("/mon-espace") view=MonEspace/>
                </Routes>
            </Shell>
        </Router>
    }
}
