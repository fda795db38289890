//! Parts of the served page that the app adopts instead of rendering them again.
//!
//! `preinscription.html` carries the form's whole first screen (the intro), so that it paints before the WASM is
//! downloaded and started (the page's Largest Contentful Paint). The text lives there only; the app keeps those
//! nodes aside when it replaces the static first paint ([`crate::start`]) and puts them back where its views want
//! them ([`adopt`]), wiring them up instead of rendering a copy that could drift.

use std::cell::RefCell;

use leptos::prelude::document;
use wasm_bindgen::JsCast;

/// A kept element, and what inside it had the keyboard focus when it was taken out of the page.
struct Kept {
    id: &'static str,
    element: web_sys::Element,
    focused: Option<web_sys::HtmlElement>,
}

thread_local! {
    static KEPT: RefCell<Vec<Kept>> = const { RefCell::new(Vec::new()) };
}

/// Takes the element `id` out of the page (if it is there) before the app clears the static first paint, to adopt
/// it later. Same task as the clearing and the mount: the browser never paints the page without it.
pub fn keep(id: &'static str) {
    let Some(element) = document().get_element_by_id(id) else {
        return;
    };
    let focused = document()
        .active_element()
        .filter(|active| element.contains(Some(active)))
        .and_then(|active| active.dyn_into::<web_sys::HtmlElement>().ok());
    element.remove();
    KEPT.with(|kept| {
        kept.borrow_mut().push(Kept {
            id,
            element,
            focused,
        });
    });
}

/// The kept element `id`, the same node each time (a view that shows it again re-adopts it).
pub fn kept(id: &str) -> Option<web_sys::Element> {
    KEPT.with(|kept| {
        kept.borrow()
            .iter()
            .find(|k| k.id == id)
            .map(|k| k.element.clone())
    })
}

/// Moves the kept element `id` into `parent` (a view's empty container). Gives the focus back to it once if it had
/// it when the app started: a keyboard user who had reached, say, a link of the intro does not lose their place.
/// Returns the element, or `None` when the served page did not have it.
pub fn adopt(id: &str, parent: &web_sys::Element) -> Option<web_sys::Element> {
    let element = kept(id)?;
    _ = parent.append_child(&element);
    let focused = KEPT.with(|kept| {
        kept.borrow_mut()
            .iter_mut()
            .find(|k| k.id == id)
            .and_then(|k| k.focused.take())
    });
    if let Some(focused) = focused {
        // Once the view holding `parent` is in the page: a detached element cannot take the focus.
        leptos::prelude::queue_microtask(move || _ = focused.focus());
    }
    Some(element)
}
