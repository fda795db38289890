use leptos::prelude::*;

use crate::routes::HOME;

/// `/gestion`: the landing of the gestionnaire space, saying what it holds and who may enter.
#[component]
pub fn GestionHome() -> impl IntoView {
    crate::set_title("Espace gestionnaire");
    view! {
        <div class="hero">
            <h1>"Espace gestionnaire"</h1>
            <p class="lead">
                "L'espace des gestionnaires RPPS+ : les personnes que leur établissement a habilitées à \
                 enregistrer ses professionnels à rôle."
            </p>
        </div>
        <section class="section" aria-labelledby="gestion-contenu">
            <h2 id="gestion-contenu">"Ce que vous ferez ici"</h2>
            <ul class="feature-list">
                <li>
                    <strong>"Instruire les pré-inscriptions"</strong>
                    " : vérifier l'identité et la situation d'exercice, puis valider ou refuser la demande."
                </li>
                <li>
                    <strong>"Enregistrer un professionnel de bout en bout"</strong>
                    " à partir des informations et de la pièce d'identité qu'il vous remet."
                </li>
                <li>
                    <strong>"Éviter les doublons"</strong>
                    " : avant tout enregistrement, vérifier que la personne n'a pas déjà un numéro RPPS."
                </li>
                <li>
                    <strong>"Tenir les situations d'exercice à jour"</strong>
                    " : nom d'exercice, métier, rôle, lieu et dates, jusqu'à la clôture au départ du professionnel."
                </li>
                <li>
                    <strong>"Suivre le déploiement"</strong>
                    " par structure, par métier et par rôle."
                </li>
            </ul>
        </section>
        <section class="section" aria-labelledby="gestion-acces">
            <h2 id="gestion-acces">"Qui peut y accéder ?"</h2>
            <p>
                "Les gestionnaires désignés par le représentant légal de leur établissement, après la formation \
                 en ligne de l'ANS (une vingtaine de minutes). Un gestionnaire peut gérer plusieurs \
                 établissements, et un établissement peut avoir plusieurs gestionnaires."
            </p>
        </section>
        <p class="notice">
            "La connexion à l'espace gestionnaire ouvre prochainement. Vous êtes un professionnel ? "
            <a href=HOME rel="external">"Retour à l'accueil"</a>
        </p>
    }
}
