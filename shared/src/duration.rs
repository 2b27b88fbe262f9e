//! Durations in words for people ("30 days", "1 hour 30 minutes"), never raw seconds:
//! what the policy's refusals and the pages say.

/// A duration in seconds in words: "30 days", "1 day 12 hours", "45 minutes".
pub fn duration_words(seconds: i64) -> String {
    fn unit(n: i64, one: &str) -> String {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {one}s")
        }
    }
    let seconds = seconds.max(0);
    let (days, hours, minutes) = (
        seconds / 86_400,
        seconds % 86_400 / 3_600,
        seconds % 3_600 / 60,
    );
    match (days, hours, minutes) {
        (0, 0, 0) => unit(seconds, "second"),
        (0, 0, m) => unit(m, "minute"),
        (0, h, 0) => unit(h, "hour"),
        (0, h, m) => format!("{} {}", unit(h, "hour"), unit(m, "minute")),
        (d, 0, _) => unit(d, "day"),
        (d, h, _) => format!("{} {}", unit(d, "day"), unit(h, "hour")),
    }
}

#[cfg(test)]
mod tests {
    use super::duration_words;

    #[test]
    fn durations_read_in_their_two_largest_units() {
        assert_eq!(duration_words(31_536_000), "365 days");
        assert_eq!(duration_words(90_000), "1 day 1 hour");
        assert_eq!(duration_words(5_400), "1 hour 30 minutes");
        assert_eq!(duration_words(600), "10 minutes");
        assert_eq!(duration_words(59), "59 seconds");
        assert_eq!(duration_words(-5), "0 seconds");
    }
}
