//! Entry point of the gestionnaire space, everything under `/gestion` (served from `gestion.html`).

use app::gestion::enregistrer::Enregistrer;
use app::gestion::integration::Integration;
use app::gestion::pages::{
    Connexion, DemandePage, Demandes, GestionAccueil, MotDePasse, SessionBar, provide_session,
};
use app::gestion::professionnels::{ProfessionnelPage, Professionnels};
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
    provide_session();
    view! {
        <Router>
            <Shell space=Space::Gestion>
                <SessionBar/>
                <Routes fallback=|| view! { <NotFound space=Space::Gestion/> }>
                    <Route path=path!("/gestion") view=GestionAccueil/>
                    <Route path=path!("/gestion/connexion") view=Connexion/>
                    <Route path=path!("/gestion/mot-de-passe/:token") view=MotDePasse/>
                    <Route path=path!("/gestion/demandes") view=Demandes/>
                    <Route path=path!("/gestion/demandes/:id") view=DemandePage/>
                    <Route path=path!("/gestion/integration") view=Integration/>
                    <Route path=path!("/gestion/enregistrer") view=Enregistrer/>
                    <Route path=path!("/gestion/professionnels") view=Professionnels/>
                    <Route path=path!("/gestion/professionnels/:id") view=ProfessionnelPage/>
                </Routes>
            </Shell>
        </Router>
    }
}
