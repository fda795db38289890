//! The form embedded in an establishment's intranet (`/integration/formulaire?finess=…&parent=…`, issue 6).
//!
//! The host page loads `/embed.js`, which frames this page and listens to its messages. Here: what the page
//! learns from its address (tested natively), the messages it posts to the host page (only to the exact origin
//! the address names, never `*`, and never personal data), and the observer that reports the page's height.

use shared::api::EmbedMessage;
use shared::embed::EmbedOrigin;

/// The path the server serves the embedded form on (`server/src/embed.rs`).
pub const EMBED_PATH: &str = "/integration/formulaire";

/// The embedded form's settings, provided as context by the embed shell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Embedded {
    /// The FINESS of the site the form is pre-set to.
    pub finess: String,
    /// The host page's origin, where messages go; `None` when the address names none or a malformed one (the
    /// form then works without resizing its frame).
    pub parent: Option<EmbedOrigin>,
}

impl Embedded {
    /// Reads the address's `finess` and `parent`. The server already refused to be framed when `parent` is not
    /// one of the establishment's origins; an origin that does not come back unchanged from the rules is ignored
    /// too, so that nothing is ever posted to an origin the server did not check.
    pub fn from_query(finess: Option<&str>, parent: Option<&str>) -> Self {
        let finess = finess
            .map(str::trim)
            .filter(|f| f.len() == 9 && f.bytes().all(|b| b.is_ascii_alphanumeric()))
            .unwrap_or_default()
            .to_owned();
        let parent = parent.and_then(|p| EmbedOrigin::parse(p).ok().filter(|o| o.as_str() == p));
        Self { finess, parent }
    }
}

/// The JSON of a message (the loader reads `type` and one numeric or short string member).
pub fn message_json(message: &EmbedMessage) -> String {
    crate::json::write_embed_message(message)
}

/// What to do with a measured height.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeightReport {
    /// Tell the host page now (the first height, or a taller page: nothing may be cut off).
    Now(u32),
    /// A shorter page: tell the host page only if it is still this short a moment later. Between two screens the
    /// page is briefly short (a step loading its text); shrinking then growing the frame would make the host
    /// page jump twice.
    Later,
}

/// Heights are whole CSS pixels; a change of less than 2 px is not worth a message (sub-pixel layout jitter).
pub fn height_to_report(previous: Option<u32>, measured: f64) -> Option<HeightReport> {
    if !measured.is_finite() || measured <= 0.0 {
        return None;
    }
    let height = measured.ceil().min(f64::from(u32::MAX)) as u32;
    match previous {
        None => Some(HeightReport::Now(height)),
        Some(p) if p.abs_diff(height) < 2 => None,
        Some(p) if height > p => Some(HeightReport::Now(height)),
        Some(_) => Some(HeightReport::Later),
    }
}

/// How long a shorter page must stay shorter before the frame shrinks.
pub const SHRINK_DELAY_MS: u64 = 300;

#[cfg(target_arch = "wasm32")]
mod browser {
    use std::cell::Cell;
    use std::rc::Rc;

    use shared::api::EmbedMessage;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    use super::{Embedded, HeightReport, SHRINK_DELAY_MS, height_to_report, message_json};

    /// Posts `message` to the host page, to its exact origin.
    pub fn post(embedded: &Embedded, message: &EmbedMessage) {
        let Some(parent_origin) = &embedded.parent else {
            return;
        };
        let Some(window) = web_sys::window() else {
            return;
        };
        let Ok(Some(parent)) = window.parent() else {
            return;
        };
        if let Ok(value) = js_sys::JSON::parse(&message_json(message)) {
            // The browser delivers nothing if the parent's origin is not exactly this one.
            _ = parent.post_message(&value, parent_origin.as_str());
        }
    }

    /// Reports the height of `<body>` to the host page: `loaded` the first time, `resize` on every change (a
    /// shorter page after [`SHRINK_DELAY_MS`]).
    pub fn observe_height(embedded: Embedded) {
        let Some(body) = leptos::prelude::document().body() else {
            return;
        };
        let state = Rc::new(Reporter {
            embedded,
            body: body.clone(),
            last: Cell::new(None),
            generation: Cell::new(0),
        });
        let observed = Rc::clone(&state);
        let callback = Closure::<dyn FnMut()>::new(move || Rc::clone(&observed).measure());
        if let Ok(observer) = web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()) {
            observer.observe(&body);
            // Both live as long as the page.
            callback.forget();
            std::mem::forget(observer);
        }
    }

    struct Reporter {
        embedded: Embedded,
        body: web_sys::HtmlElement,
        last: Cell<Option<u32>>,
        /// Bumped by every measure: a delayed shrink only applies if nothing was measured since.
        generation: Cell<u64>,
    }

    impl Reporter {
        fn height(&self) -> f64 {
            self.body.get_bounding_client_rect().height()
        }

        fn send(&self, height: u32) {
            let message = if self.last.get().is_none() {
                EmbedMessage::Loaded { height }
            } else {
                EmbedMessage::Resize { height }
            };
            self.last.set(Some(height));
            post(&self.embedded, &message);
        }

        fn measure(self: Rc<Self>) {
            let generation = self.generation.get() + 1;
            self.generation.set(generation);
            match height_to_report(self.last.get(), self.height()) {
                Some(HeightReport::Now(height)) => self.send(height),
                Some(HeightReport::Later) => {
                    let reporter = Rc::clone(&self);
                    leptos::prelude::set_timeout(
                        move || {
                            if reporter.generation.get() == generation {
                                let height = reporter.height().ceil().max(0.0) as u32;
                                reporter.send(height);
                            }
                        },
                        std::time::Duration::from_millis(SHRINK_DELAY_MS),
                    );
                }
                None => {}
            }
        }
    }
}

#[cfg(target_arch = "wasm32")]
pub use browser::{observe_height, post};

/// Native builds (unit tests) have no host page.
#[cfg(not(target_arch = "wasm32"))]
pub fn post(_embedded: &Embedded, _message: &EmbedMessage) {}

#[cfg(not(target_arch = "wasm32"))]
pub fn observe_height(_embedded: Embedded) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_gives_the_site_and_the_checked_parent() {
        let e = Embedded::from_query(Some("319999926"), Some("http://127.0.0.1:4321"));
        assert_eq!(e.finess, "319999926");
        assert_eq!(
            e.parent.map(String::from).as_deref(),
            Some("http://127.0.0.1:4321")
        );
    }

    #[test]
    fn anything_but_an_exact_origin_gets_no_message() {
        for parent in [
            "*",
            "",
            "null",
            "https://intranet.fr/",
            "HTTPS://intranet.fr",
            "https://intranet.fr:443",
            "https://*.intranet.fr",
            "javascript:alert(1)",
        ] {
            let e = Embedded::from_query(Some("319999926"), Some(parent));
            assert_eq!(e.parent, None, "{parent}");
        }
        assert_eq!(Embedded::from_query(Some("319999926"), None).parent, None);
    }

    #[test]
    fn a_malformed_finess_is_dropped() {
        assert_eq!(Embedded::from_query(Some("31999"), None).finess, "");
        assert_eq!(Embedded::from_query(Some("3199999<6"), None).finess, "");
        assert_eq!(Embedded::from_query(None, None).finess, "");
        assert_eq!(
            Embedded::from_query(Some(" 2A0000012 "), None).finess,
            "2A0000012"
        );
    }

    #[test]
    fn messages_carry_a_type_and_no_more_than_needed() {
        assert_eq!(
            message_json(&EmbedMessage::Resize { height: 812 }),
            r#"{"type":"enrole:resize","height":812}"#
        );
        assert_eq!(
            message_json(&EmbedMessage::Submitted {
                reference: "ENR-7KQ2-M9XD".into()
            }),
            r#"{"type":"enrole:submitted","reference":"ENR-7KQ2-M9XD"}"#
        );
        assert_eq!(
            message_json(&EmbedMessage::Step { step: 3 }),
            r#"{"type":"enrole:step","step":3}"#
        );
        assert_eq!(
            message_json(&EmbedMessage::Loaded { height: 700 }),
            r#"{"type":"enrole:loaded","height":700}"#
        );
    }

    #[test]
    fn only_real_height_changes_are_reported_and_shrinking_waits() {
        assert_eq!(height_to_report(None, 700.2), Some(HeightReport::Now(701)));
        assert_eq!(height_to_report(Some(701), 701.9), None);
        assert_eq!(height_to_report(Some(701), 699.5), None);
        assert_eq!(
            height_to_report(Some(701), 702.5),
            Some(HeightReport::Now(703))
        );
        assert_eq!(
            height_to_report(Some(701), 650.0),
            Some(HeightReport::Later)
        );
        assert_eq!(height_to_report(None, f64::NAN), None);
        assert_eq!(height_to_report(None, 0.0), None);
    }
}
