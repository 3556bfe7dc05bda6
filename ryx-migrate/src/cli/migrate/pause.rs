//! `--pause DURATION`: a whole number and a unit, `500ms`, `2s` or `1m`.

use std::time::Duration;

/// Parses `--pause`'s value (clap's value parser: the message follows
/// clap's "invalid value" line).
pub(super) fn parse_pause(value: &str) -> Result<Duration, String> {
    let bad = || format!("use a whole number and a unit: 500ms, 2s or 1m, not `{value}`");
    let value = value.trim();
    let split = value.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = value.split_at(split);
    let n: u64 = number.parse().map_err(|_| bad())?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => n.checked_mul(60).map(Duration::from_secs).ok_or_else(bad),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_are_a_number_and_a_unit() {
        assert_eq!(parse_pause("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_pause("10ms"), Ok(Duration::from_millis(10)));
        assert_eq!(parse_pause("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_pause("0s"), Ok(Duration::ZERO));
        assert_eq!(parse_pause("1m"), Ok(Duration::from_secs(60)));
        for bad in [
            "",
            "5",
            "ms",
            "5x",
            "1.5s",
            "-1s",
            "2 s",
            "2sec",
            "99999999999999999999s",
        ] {
            let e = parse_pause(bad);
            assert!(
                matches!(&e, Err(m) if m.contains("500ms, 2s or 1m")),
                "{bad:?}: {e:?}"
            );
        }
    }
}
