//! Entry point of the pré-inscription form alone, served for `/preinscription` (from `preinscription.html`); the
//! form embedded in an intranet has its own (`integration`).
//!
//! A professional sent a link to the form downloads the form and the shared runtime, not the home, rôles and status
//! pages: a smaller first visit on a phone. Every other link from here is a full page load (`Space::Preinscription`).
//! No client router either: the server serves this entry point for two paths only, so route matching would choose
//! nothing, and its code (link interception, history, query maps) would only weigh on the download.

use app::components::PageShell;
use app::pages::preinscription::{INTRO_ID, LoadSteps, Preinscription, StepsView};
use app::routes::Space;
use leptos::prelude::*;

fn main() {
    // `preinscription.html` paints the intro before this code runs: the form adopts it rather than rendering it.
    app::first_paint::keep(INTRO_ID);
    app::start(App);
}

/// The form's steps are a WebAssembly chunk of their own, which xtask splits from this entry point's wasm: the
/// first screen (the intro, static) does not wait for their code. Here, not in the library, so that only this
/// entry point exports it. `fallible`: a chunk that cannot be fetched is an error the page offers to retry (the
/// infallible form, Leptos's `#[lazy]`, panics, which stops the whole app).
#[leptos::wasm_split::wasm_split(steps_view, wasm_split_path = ::leptos::wasm_split, fallible)]
fn steps_view() -> Result<StepsView, leptos::wasm_split::SplitLoaderError> {
    Ok(app::pages::preinscription::steps)
}

const LOAD_STEPS: LoadSteps = || Box::pin(async { steps_view().await.ok() });

#[component]
fn App() -> impl IntoView {
    view! {
        <PageShell space=Space::Preinscription>
            <Preinscription load_steps=LOAD_STEPS/>
        </PageShell>
    }
}
