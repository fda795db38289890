use leptos::prelude::*;

use crate::routes::{HOME, Space};

/// The fallback of both routers: an address that names no page.
#[component]
pub fn NotFound(space: Space) -> impl IntoView {
    crate::set_title("Page introuvable");
    let back = match space {
        Space::Public | Space::Preinscription | Space::Espace => "Retour à l'accueil",
        Space::Gestion => "Retour à l'espace gestionnaire",
    };
    view! {
        <div class="narrow">
            <h1>"Page introuvable"</h1>
            <p class="lead">"L'adresse demandée n'existe pas ou a changé."</p>
            <p>"Vérifiez l'adresse saisie, ou repartez d'une page connue :"</p>
            <ul class="link-list">
                <li><a href=space.home() rel=space.link_rel(space.home())>{back}</a></li>
                {(space == Space::Gestion)
                    .then(|| view! { <li><a href=HOME rel="external">"Accueil du site"</a></li> })}
            </ul>
        </div>
    }
}
