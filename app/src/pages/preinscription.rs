use leptos::prelude::*;
use leptos_router::components::A;

use crate::routes::ROLES;

/// The six steps of the coming pre-registration form, as announced before it starts.
pub const STEPS: [(&str, &str); 6] = [
    (
        "Identité",
        "civilité, nom de naissance, tous vos prénoms dans l'ordre, date et lieu de naissance, tels qu'ils figurent \
         sur votre pièce d'identité.",
    ),
    (
        "Coordonnées",
        "votre adresse email et votre téléphone mobile : ils servent à vous envoyer votre numéro RPPS et à activer \
         votre e-CPS.",
    ),
    (
        "Établissement",
        "la structure où vous exercez, par son nom, sa commune ou son numéro FINESS.",
    ),
    (
        "Situation d'exercice",
        "nom et prénom d'exercice, métier, rôle, mode d'exercice (salarié, libéral, bénévole…) et date de prise de \
         fonction.",
    ),
    (
        "Vos données",
        "qui les reçoit, ce qui est publié et ce qui ne l'est pas.",
    ),
    (
        "Vérification et envoi",
        "vous relisez tout, puis vous envoyez la demande à votre gestionnaire.",
    ),
];

/// `/preinscription`: "avant de commencer", the page in front of the pre-registration form.
#[component]
pub fn Preinscription() -> impl IntoView {
    crate::set_title("Avant de commencer votre pré-inscription");
    let steps = STEPS
        .iter()
        .map(|(title, detail)| view! { <li><strong>{*title}</strong>" : "{*detail}</li> })
        .collect_view();
    view! {
        <div class="hero">
            <h1>"Avant de commencer votre pré-inscription"</h1>
            <p class="lead">
                "La pré-inscription prépare votre enregistrement au RPPS+. Votre établissement, autorité \
                 d'enregistrement, la vérifie puis la valide."
            </p>
        </div>
        <section class="section" aria-labelledby="pour-qui">
            <h2 id="pour-qui">"Pour qui ?"</h2>
            <ul>
                <li>
                    "Vous travaillez, ou allez travailler, dans un établissement ou un service social ou \
                     médico-social qui utilise Enrôle ;"
                </li>
                <li>
                    "vous n'êtes inscrit ni à un Ordre professionnel ni auprès de l'ARS : accompagnant éducatif et \
                     social, éducateur spécialisé, moniteur éducateur, secrétaire médicale, coordonnateur de \
                     parcours…"
                </li>
            </ul>
            <p>
                "Vous avez déjà un numéro RPPS, donné par un Ordre, l'ARS ou un autre établissement ? Indiquez-le : \
                 votre nouvelle situation d'exercice y sera rattachée. Une personne n'a jamais deux numéros RPPS."
            </p>
        </section>
        <section class="section" aria-labelledby="etapes">
            <h2 id="etapes">"Les 6 étapes"</h2>
            <ol class="steps">{steps}</ol>
        </section>
        <section class="section" aria-labelledby="a-preparer">
            <h2 id="a-preparer">"À avoir sous la main"</h2>
            <ul class="checklist">
                <li>
                    "Votre pièce d'identité (carte d'identité, passeport ou titre de séjour) : votre gestionnaire \
                     peut vous en demander une copie ;"
                </li>
                <li>"une adresse email que vous consultez ;"</li>
                <li>"votre téléphone mobile ;"</li>
                <li>
                    "le nom de votre établissement et votre date de prise de fonction : votre service des \
                     ressources humaines les connaît."
                </li>
            </ul>
        </section>
        <section class="section" aria-labelledby="duree">
            <h2 id="duree">"Combien de temps ?"</h2>
            <p>
                "Une dizaine de minutes. Ensuite, votre gestionnaire vérifie votre demande ; dès qu'il l'a validée, \
                 vous recevez votre numéro RPPS par email."
            </p>
        </section>
        <section class="section" aria-labelledby="publication">
            <h2 id="publication">"Ce qui est publié"</h2>
            <p>
                "Votre état civil et vos coordonnées ne sont pas publiés. Votre nom et votre prénom d'exercice, \
                 votre rôle, votre métier et votre établissement figurent dans l'Annuaire Santé, qui est public."
            </p>
        </section>
        <p class="notice">
            "Le formulaire en ligne ouvre prochainement. D'ici là, votre gestionnaire RPPS+ peut vous \
             enregistrer directement. "
            <A href=ROLES>"Découvrir les rôles et les métiers"</A>
        </p>
    }
}
