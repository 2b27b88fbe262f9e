//! Dates and durations for people, from the browser's clock.

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// The UTC date and time of `ms` since the epoch, such as `2026-12-23 02:33 UTC`.
pub fn format_utc(ms: f64) -> String {
    let iso: String = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms))
        .to_iso_string()
        .into();
    // 2026-12-23T02:33:37.000Z
    format!(
        "{} {} UTC",
        &iso[..10.min(iso.len())],
        iso.get(11..16).unwrap_or("")
    )
}

/// `amount` of `unit` (`day`, `hour`, `minute`, `second`) in the words of `locale`
/// (`en`: "3 days", `ko`: "3일"), by the browser's `Intl.NumberFormat`: no plural rules
/// or unit names are shipped in the bundle.
pub fn unit_words(locale: &str, amount: i64, unit: &str) -> String {
    use wasm_bindgen::JsValue;
    let locales = js_sys::Array::of1(&JsValue::from_str(locale));
    let options = js_sys::Object::new();
    for (key, value) in [("style", "unit"), ("unit", unit), ("unitDisplay", "long")] {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    }
    let _ = js_sys::Reflect::set(&options, &"useGrouping".into(), &JsValue::FALSE);
    js_sys::Intl::NumberFormat::new(&locales, &options)
        .format()
        .call1(&JsValue::NULL, &JsValue::from_f64(amount as f64))
        .ok()
        .and_then(|text| text.as_string())
        .unwrap_or_else(|| format!("{amount} {unit}"))
}

/// A span of seconds in its two largest units, in the words of `locale` ("1 day 2
/// hours", "1일 2시간"), as `shared::duration::duration_words` words it in English.
pub fn span_words(locale: &str, seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (days, hours, minutes) = (
        seconds / 86_400,
        seconds % 86_400 / 3_600,
        seconds % 3_600 / 60,
    );
    let words = |n: i64, unit: &str| unit_words(locale, n, unit);
    match (days, hours, minutes) {
        (0, 0, 0) => words(seconds, "second"),
        (0, 0, m) => words(m, "minute"),
        (0, h, 0) => words(h, "hour"),
        (0, h, m) => format!("{} {}", words(h, "hour"), words(m, "minute")),
        (d, 0, _) => words(d, "day"),
        (d, h, _) => format!("{} {}", words(d, "day"), words(h, "hour")),
    }
}

/// A lifetime in its largest whole unit in the words of `locale` ("30 days", "30일").
pub fn lifetime_words(locale: &str, seconds: u32) -> String {
    let (amount, unit) = lifetime_parts(seconds);
    if unit == 60 && !seconds.is_multiple_of(60) {
        return unit_words(locale, i64::from(seconds), "second");
    }
    let name = match unit {
        86_400 => "day",
        3_600 => "hour",
        _ => "minute",
    };
    unit_words(locale, i64::from(amount), name)
}

/// Splits a lifetime into the largest whole unit (days, hours or minutes, in seconds).
pub fn lifetime_parts(seconds: u32) -> (u32, u32) {
    for unit in [86_400, 3_600, 60] {
        if seconds.is_multiple_of(unit) && seconds >= unit {
            return (seconds / unit, unit);
        }
    }
    (seconds.div_ceil(60), 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_lifetimes_read_in_their_largest_units() {
        assert_eq!(lifetime_parts(30 * 86_400), (30, 86_400));
        assert_eq!(lifetime_parts(600), (10, 60));
        assert_eq!(lifetime_parts(7_200), (2, 3_600));
        assert_eq!(lifetime_parts(90), (2, 60));
    }
}
