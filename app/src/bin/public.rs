//! Entry point of the public pages: home, rôles et métiers, status pages (the form has its own entry point).
//! It must not name any gestionnaire page, so that none of their code reaches the professional's phone.

use app::pages::{
    home::Home,
    not_found::NotFound,
    roles::Roles,
    suivi::{ConfirmerEmail, Suivi},
};
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
            <Shell space=Space::Public>
                <Routes fallback=|| view! { <NotFound space=Space::Public/> }>
                    <Route path=path!("/") view=Home/>
                    <Route path=path!("/roles") view=Roles/>
                    <Route path=path!("/suivi/:token") view=Suivi/>
                    <Route path=path!("/confirmer-email/:token") view=ConfirmerEmail/>
                </Routes>
            </Shell>
        </Router>
    }
}
