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
    format!("{} {} UTC", &iso[..10.min(iso.len())], iso.get(11..16).unwrap_or(""))
}

/// How long until `ms` since the epoch, such as "29 days 23 hours left" or "expired".
pub fn time_left(ms: f64) -> String {
    describe_span(ms - now_ms())
}

/// Describes a span in milliseconds in its two largest units.
pub fn describe_span(span_ms: f64) -> String {
    if span_ms <= 0.0 {
        return "expired".to_owned();
    }
    let minutes = (span_ms / 60_000.0).floor() as u64;
    let (days, hours, mins) = (minutes / 1440, minutes / 60 % 24, minutes % 60);
    let unit = |n: u64, name: &str| format!("{n} {name}{}", if n == 1 { "" } else { "s" });
    let text = if days > 0 {
        format!("{} {}", unit(days, "day"), unit(hours, "hour"))
    } else if hours > 0 {
        format!("{} {}", unit(hours, "hour"), unit(mins, "minute"))
    } else {
        unit(mins, "minute")
    };
    format!("{text} left")
}

/// Describes a lifetime in seconds, such as "30 days" or "10 minutes".
pub fn describe_seconds(seconds: u32) -> String {
    let (amount, unit) = lifetime_parts(seconds);
    let name = match unit {
        86_400 => "day",
        3_600 => "hour",
        _ => "minute",
    };
    if unit == 60 && seconds % 60 != 0 {
        return format!("{seconds} seconds");
    }
    format!("{amount} {name}{}", if amount == 1 { "" } else { "s" })
}

/// Splits a lifetime into the largest whole unit (days, hours or minutes, in seconds).
pub fn lifetime_parts(seconds: u32) -> (u32, u32) {
    for unit in [86_400, 3_600, 60] {
        if seconds % unit == 0 && seconds >= unit {
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
        assert_eq!(describe_span(-1.0), "expired");
        assert_eq!(describe_span(90_000_000.0), "1 day 1 hour left");
        assert_eq!(describe_span(61.0 * 60_000.0), "1 hour 1 minute left");
        assert_eq!(lifetime_parts(30 * 86_400), (30, 86_400));
        assert_eq!(lifetime_parts(600), (10, 60));
        assert_eq!(lifetime_parts(7_200), (2, 3_600));
        assert_eq!(describe_seconds(600), "10 minutes");
        assert_eq!(describe_seconds(86_400), "1 day");
    }
}
