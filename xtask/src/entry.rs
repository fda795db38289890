//! The entry points of the SPA: which binary of `app` each page loads, from which template, and when it starts.

/// An entry point: a binary of the `app` crate, the page that loads it, the page's template in `app/`, and when
/// the page's loader starts the app.
pub struct Entry {
    pub bin: &'static str,
    pub page: &'static str,
    pub template: &'static str,
    pub start: Start,
}

/// When a page's loader starts the app.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// At once: the page paints a placeholder and the app its content (the template preloads the WASM).
    AtOnce,
    /// Once the browser has painted the page: its first screen is static HTML the app adopts (the form's intro,
    /// its Largest Contentful Paint), and downloading the WASM earlier would share the phone's bandwidth with it.
    /// The template must not preload the WASM. Costs about one round trip before the app responds.
    AfterFirstPaint,
}

pub const ENTRIES: [Entry; 5] = [
    Entry {
        bin: "public",
        page: "index.html",
        template: "index.html",
        start: Start::AtOnce,
    },
    // The form's whole first screen (the intro) is in its page.
    Entry {
        bin: "preinscription",
        page: "preinscription.html",
        template: "preinscription.html",
        start: Start::AfterFirstPaint,
    },
    Entry {
        bin: "gestion",
        page: "gestion.html",
        template: "gestion.html",
        start: Start::AtOnce,
    },
    // The form embedded in an intranet (`/integration/formulaire`): a compact first paint, and the steps in the
    // one wasm (it shows a step at once: a chunk would only add its overhead).
    Entry {
        bin: "integration",
        page: "integration.html",
        template: "integration.html",
        start: Start::AtOnce,
    },
    Entry {
        bin: "espace",
        page: "espace.html",
        // The professional's pages share their static first paint.
        template: "index.html",
        start: Start::AtOnce,
    },
];
