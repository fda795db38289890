use leptos::prelude::*;
use leptos_router::components::A;

use crate::routes::{GESTION, PREINSCRIPTION, ROLES};

/// `/`: what Enrôle is for, and the two ways in.
#[component]
pub fn Home() -> impl IntoView {
    crate::set_title("Accueil");
    view! {
        <div class="hero">
            <h1>"Votre enregistrement au RPPS+, pas à pas"</h1>
            <p class="lead">
                "Vous travaillez dans un établissement social ou médico-social sans être inscrit à un Ordre ni \
                 auprès de l'ARS ? Le RPPS+ vous attribue un numéro RPPS et une carte e-CPS pour accéder aux \
                 services numériques de santé, comme le DMP, selon votre rôle."
            </p>
        </div>
        <div class="choices">
            <section class="card choice" aria-labelledby="choix-professionnel">
                <h2 id="choix-professionnel">"Vous êtes professionnel"</h2>
                <p>
                    "Préparez votre demande en quelques minutes. Votre établissement la vérifie, puis vous \
                     recevez votre numéro RPPS par email."
                </p>
                // The form is its own entry point: a full page load.
                <a href=PREINSCRIPTION rel="external" class="button">"Je me pré-enregistre"</a>
            </section>
            <section class="card choice" aria-labelledby="choix-gestionnaire">
                <h2 id="choix-gestionnaire">"Vous êtes gestionnaire RPPS+"</h2>
                <p>
                    "Instruisez les pré-inscriptions de votre établissement, enregistrez vos équipes et suivez \
                     l'avancement."
                </p>
                <a href=GESTION rel="external" class="button button--secondary">"Espace gestionnaire"</a>
            </section>
        </div>
        <section class="section" aria-labelledby="deroulement">
            <h2 id="deroulement">"Comment ça se passe"</h2>
            <ol class="steps">
                <li>
                    <strong>"Vous vous pré-enregistrez"</strong>
                    " : identité, coordonnées et situation d'exercice."
                </li>
                <li>
                    <strong>"Votre gestionnaire vérifie"</strong>
                    " votre identité et votre situation, puis valide votre demande."
                </li>
                <li>
                    <strong>"Vous recevez votre numéro RPPS"</strong>
                    " par email ; vous pouvez ensuite activer votre e-CPS."
                </li>
            </ol>
            <p>
                <A href=ROLES>"Quel rôle choisir ? Découvrez les rôles et les métiers"</A>
            </p>
        </section>
    }
}
