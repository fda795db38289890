//! The frame of every page: skip link, header with the main navigation, `<main>`, footer.
//!
//! `app/index.html` and `app/gestion.html` repeat the header statically for the first paint; keep them in step.
//! `app/preinscription.html` repeats it with the navigation as `PageShell` renders it, so that the served intro does
//! not move when the app replaces the header (a native test in `pages::preinscription` compares them).

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;
use wasm_bindgen::JsCast;

use crate::routes::{GESTION, NavItem, ROLES, Space};

/// The id of `<main>`, target of the skip link and of the focus after a client-side navigation.
const MAIN_ID: &str = "contenu";

/// Moves the keyboard focus (and screen readers) to the start of the page content.
fn focus_main() {
    if let Some(main) = document()
        .get_element_by_id(MAIN_ID)
        .and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok())
    {
        _ = main.focus();
    }
}

#[component]
pub fn Shell(space: Space, children: Children) -> impl IntoView {
    // Pages read it to know which of their links need a full page load (`Space::link_rel`).
    provide_context(space);
    // After a client-side navigation, start the next page from its content, as a full page load would.
    let pathname = use_location().pathname;
    Effect::new(move |previous: Option<String>| {
        let current = pathname.get();
        if previous.is_some_and(|previous| previous != current) {
            focus_main();
        }
        current
    });
    let nav = space
        .nav()
        .into_iter()
        .map(|item| view! { <li><NavLink item space/></li> })
        .collect_view();
    frame(space, nav, children)
}

/// The same frame for an entry point without a client router (`Space::Preinscription`: it serves one page, so every
/// link is a full page load and a router's code would choose nothing). The current page's link is marked as `A`
/// marks it (`aria-current="page"`); the links to the other entry points are `rel="external"`, as `NavLink` makes
/// them.
#[component]
pub fn PageShell(space: Space, children: Children) -> impl IntoView {
    provide_context(space);
    let pathname = window().location().pathname().unwrap_or_default();
    let nav = space
        .nav()
        .into_iter()
        .map(|item| {
            let current = (item.href == pathname).then_some("page");
            let rel = item.external.then_some("external");
            view! { <li><a href=item.href rel=rel aria-current=current>{item.label}</a></li> }
        })
        .collect_view();
    frame(space, nav, children)
}

/// Skip link, header with the navigation `nav`, `<main>` holding `children`, footer.
fn frame(space: Space, nav: impl IntoView + 'static, children: Children) -> impl IntoView {
    let tagline = match space {
        Space::Public | Space::Preinscription => "Enregistrement RPPS+ des professionnels à rôle",
        Space::Gestion => "Espace gestionnaire RPPS+",
        Space::Espace => "Espace du professionnel",
    };

    view! {
        <a
            class="skip-link"
            href=format!("#{MAIN_ID}")
            on:click=|ev| {
                ev.prevent_default();
                focus_main();
            }
        >
            "Aller au contenu"
        </a>
        <header class="site-header">
            <div class="container site-header__inner">
                <a class="brand" href=space.home() rel=space.link_rel(space.home())>
                    <img class="brand__logo" src="/favicon.svg" alt="" width="40" height="40"/>
                    <span class="brand__text">
                        <span class="brand__name">{crate::APP_NAME}</span>
                        <span class="brand__tagline">{tagline}</span>
                    </span>
                </a>
                <nav class="site-nav" aria-label="Navigation principale">
                    <ul>{nav}</ul>
                </nav>
            </div>
        </header>
        <main id=MAIN_ID tabindex="-1" class="site-main">
            <div class="container">{children()}</div>
        </main>
        <footer class="site-footer">
            <div class="container site-footer__inner">
                <p>
                    <strong>{crate::APP_NAME}</strong>
                    " aide les établissements sociaux et médico-sociaux à enregistrer leurs professionnels à rôle \
                     dans le RPPS+, le répertoire des professionnels intervenant dans le système de santé."
                </p>
                <p>
                    "Votre état civil et vos coordonnées ne sont jamais publiés. "
                    <a href=ROLES rel=space.link_rel(ROLES)>"Rôles et métiers"</a>
                    " · "
                    <a href=GESTION rel=space.link_rel(GESTION)>"Espace gestionnaire"</a>
                </p>
            </div>
        </footer>
    }
}

#[component]
fn NavLink(item: NavItem, space: Space) -> impl IntoView {
    if item.external {
        view! { <a href=item.href rel="external">{item.label}</a> }.into_any()
    } else {
        // `A` marks the current page with aria-current="page"; the gestionnaire's root covers its sub-pages.
        let exact = !(space == Space::Gestion && item.href == GESTION);
        view! { <A href=item.href exact>{item.label}</A> }.into_any()
    }
}
