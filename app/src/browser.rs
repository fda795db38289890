//! Thin wrappers over browser APIs the pre-registration needs: session storage (in memory when refused), today's
//! date, random ids, focus, and the in-browser downscaling of phone photos.

use std::cell::RefCell;

use leptos::prelude::document;
use shared::date::CalendarDate;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

thread_local! {
    /// Where values go when the browser refuses session storage (private modes, policies). A list: it holds two
    /// keys at most, and a hash map would bring its hashing and table code into the wasm.
    static MEMORY: RefCell<Vec<(String, String)>> = RefCell::default();
}

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

/// Reads `key` from session storage, or from memory.
pub fn load(key: &str) -> Option<String> {
    if let Some(value) = session_storage().and_then(|s| s.get_item(key).ok().flatten()) {
        return Some(value);
    }
    MEMORY.with(|m| {
        m.borrow()
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    })
}

/// Writes `key` to session storage; to memory when the browser refuses.
pub fn save(key: &str, value: &str) {
    let stored = session_storage().is_some_and(|s| s.set_item(key, value).is_ok());
    if !stored {
        remove_from_memory(key);
        MEMORY.with(|m| m.borrow_mut().push((key.to_owned(), value.to_owned())));
    }
}

/// Forgets `key` everywhere.
pub fn remove(key: &str) {
    if let Some(storage) = session_storage() {
        _ = storage.remove_item(key);
    }
    remove_from_memory(key);
}

fn remove_from_memory(key: &str) {
    MEMORY.with(|m| m.borrow_mut().retain(|(k, _)| k != key));
}

/// The first value of `name` in the page address's query string, decoded (`URLSearchParams`, as the router's query
/// map reads it). The form's entry point has no router: it serves a single page.
pub fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get(name)
}

/// Today in the browser's time zone.
pub fn today() -> CalendarDate {
    let now = js_sys::Date::new_0();
    let (year, month, day) = (now.get_full_year(), now.get_month() + 1, now.get_date());
    CalendarDate::from_ymd(
        i32::try_from(year).unwrap_or(2026),
        u8::try_from(month).unwrap_or(1),
        u8::try_from(day).unwrap_or(1),
    )
    .or_else(|_| CalendarDate::from_ymd(2026, 1, 1))
    .unwrap_or_else(|_| unreachable!("a valid constant date"))
}

/// A random UUID v4 (`crypto.randomUUID()`), for idempotency keys.
pub fn random_uuid() -> String {
    web_sys::window()
        .and_then(|w| w.crypto().ok())
        .map(|c| c.random_uuid())
        .unwrap_or_else(|| format!("{:x}-fallback", js_sys::Date::now() as u64))
}

/// Moves the focus to the element `id`, scrolling it into view.
pub fn focus(id: &str) {
    if let Some(element) = document()
        .get_element_by_id(id)
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    {
        _ = element.focus();
        element.scroll_into_view();
    }
}

/// Photos larger than this (width or height, in pixels) are downscaled before upload.
pub const MAX_IMAGE_SIDE: u32 = 1600;
/// The server's limit for one document.
pub const MAX_DOCUMENT_BYTES: f64 = 5_242_880.0;

/// The file to upload: PDFs as chosen; JPEG and PNG images larger than [`MAX_IMAGE_SIDE`] or the size limit are
/// redrawn on a canvas at most [`MAX_IMAGE_SIDE`] pixels wide and high, as JPEG.
pub async fn prepare_document(file: &web_sys::File) -> Result<web_sys::Blob, JsValue> {
    let blob: web_sys::Blob = file.clone().into();
    let kind = file.type_();
    if kind != "image/jpeg" && kind != "image/png" {
        return Ok(blob);
    }
    let window = web_sys::window().ok_or_else(|| JsValue::from_str("no window"))?;
    let bitmap: web_sys::ImageBitmap = JsFuture::from(window.create_image_bitmap_with_blob(&blob)?)
        .await?
        .dyn_into()?;
    let (width, height) = (bitmap.width(), bitmap.height());
    if width.max(height) <= MAX_IMAGE_SIDE && file.size() <= MAX_DOCUMENT_BYTES {
        bitmap.close();
        return Ok(blob);
    }
    let scale = (f64::from(MAX_IMAGE_SIDE) / f64::from(width.max(height))).min(1.0);
    let (new_width, new_height) = (
        ((f64::from(width) * scale).round() as u32).max(1),
        ((f64::from(height) * scale).round() as u32).max(1),
    );
    let canvas: web_sys::HtmlCanvasElement = document().create_element("canvas")?.dyn_into()?;
    canvas.set_width(new_width);
    canvas.set_height(new_height);
    let context: web_sys::CanvasRenderingContext2d = canvas
        .get_context("2d")?
        .ok_or_else(|| JsValue::from_str("no 2d context"))?
        .dyn_into()?;
    context.draw_image_with_image_bitmap_and_dw_and_dh(
        &bitmap,
        0.0,
        0.0,
        f64::from(new_width),
        f64::from(new_height),
    )?;
    bitmap.close();
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        let callback = wasm_bindgen::closure::Closure::once_into_js(move |blob: JsValue| {
            _ = resolve.call1(&JsValue::NULL, &blob);
        });
        if let Err(error) = canvas.to_blob_with_type_and_encoder_options(
            callback.unchecked_ref(),
            "image/jpeg",
            &JsValue::from_f64(0.85),
        ) {
            _ = reject.call1(&JsValue::NULL, &error);
        }
    });
    let result = JsFuture::from(promise).await?;
    result.dyn_into::<web_sys::Blob>()
}
