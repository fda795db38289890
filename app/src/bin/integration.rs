//! Entry point of the form embedded in an intranet, `/integration/formulaire` (from `integration.html`).
//!
//! The form's own entry point (`preinscription`) splits the steps into a chunk fetched while the person reads the
//! intro. The embedded form shows a step at once, so it would fetch both parts before it works, and the two weigh
//! about 11 kB more than the whole: this entry point keeps the steps in its one wasm.

use app::browser::query_param;
use app::components::EmbedShell;
use app::embed::Embedded;
use app::pages::preinscription::{LoadSteps, Preinscription, StepsView};
use app::routes::Space;
use leptos::prelude::*;

fn main() {
    app::start(Embed);
}

const LOAD_STEPS: LoadSteps = || {
    let steps: StepsView = app::pages::preinscription::steps;
    Box::pin(async move { Some(steps) })
};

#[component]
fn Embed() -> impl IntoView {
    provide_context(Space::Preinscription);
    let embedded = Embedded::from_query(
        query_param("finess").as_deref(),
        query_param("parent").as_deref(),
    );
    view! {
        <EmbedShell embedded>
            <Preinscription load_steps=LOAD_STEPS/>
        </EmbedShell>
    }
}
