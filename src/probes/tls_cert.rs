//! The expiry date of an X.509 certificate, read from its DER encoding.
//!
//! Just enough DER to reach `tbsCertificate.validity.notAfter` (RFC 5280 §4.1); no crate is
//! needed for that walk. Must not: judge validity or trust (the TLS library did that, or the probe
//! was told `insecure`).

/// `notAfter` of a DER certificate, as UTC epoch seconds; `None` when the bytes are not a
/// certificate this reader understands.
pub(crate) fn not_after(der: &[u8]) -> Option<i64> {
    let (cert, _) = tlv(der, 0x30)?;
    let (mut tbs, _) = tlv(cert, 0x30)?;
    // version [0] EXPLICIT is optional (absent means v1).
    if tbs.first() == Some(&0xA0) {
        tbs = tlv(tbs, 0xA0)?.1;
    }
    let (_, rest) = tlv(tbs, 0x02)?; // serialNumber
    let (_, rest) = tlv(rest, 0x30)?; // signature AlgorithmIdentifier
    let (_, rest) = tlv(rest, 0x30)?; // issuer Name
    let (validity, _) = tlv(rest, 0x30)?;
    let (_, rest) = any_time(validity)?; // notBefore
    let (time, _) = any_time(rest)?;
    Some(time)
}

/// One element with the given tag: (contents, what follows).
fn tlv(buf: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&t, rest) = buf.split_first()?;
    if t != tag {
        return None;
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7F);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        rest = &rest[n..];
        len
    };
    (rest.len() >= len).then(|| rest.split_at(len))
}

/// A UTCTime (tag 0x17, `YYMMDDHHMMSSZ`) or GeneralizedTime (0x18, `YYYYMMDDHHMMSSZ`).
fn any_time(buf: &[u8]) -> Option<(i64, &[u8])> {
    let (text, rest, year_digits) = match buf.first()? {
        0x17 => tlv(buf, 0x17).map(|(t, r)| (t, r, 2))?,
        0x18 => tlv(buf, 0x18).map(|(t, r)| (t, r, 4))?,
        _ => return None,
    };
    let text = std::str::from_utf8(text).ok()?;
    let digits = text.strip_suffix('Z')?;
    if digits.len() != year_digits + 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let num = |from: usize, len: usize| digits[from..from + len].parse::<u32>().ok();
    let mut year = i32::try_from(num(0, year_digits)?).ok()?;
    if year_digits == 2 {
        // RFC 5280: YY >= 50 is 19YY, else 20YY.
        year += if year >= 50 { 1900 } else { 2000 };
    }
    let at = year_digits;
    let date = chrono::NaiveDate::from_ymd_opt(year, num(at, 2)?, num(at + 2, 2)?)?;
    let time = date.and_hms_opt(num(at + 4, 2)?, num(at + 6, 2)?, num(at + 8, 2)?)?;
    Some((time.and_utc().timestamp(), rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A certificate skeleton with only the fields the reader walks.
    fn cert(version: bool, not_after: &[u8]) -> Vec<u8> {
        let seq = |tag: u8, body: &[u8]| {
            let mut v = vec![tag, u8::try_from(body.len()).unwrap()];
            v.extend_from_slice(body);
            v
        };
        let mut tbs = Vec::new();
        if version {
            tbs.extend(seq(0xA0, &seq(0x02, &[2])));
        }
        tbs.extend(seq(0x02, &[1, 2, 3]));
        tbs.extend(seq(0x30, &[]));
        tbs.extend(seq(0x30, &[]));
        let mut validity = seq(0x17, b"250101000000Z");
        validity.extend_from_slice(not_after);
        tbs.extend(seq(0x30, &validity));
        seq(0x30, &seq(0x30, &tbs))
    }

    #[test]
    fn reads_not_after() {
        let utc = [&[0x17, 13][..], b"300102030405Z"].concat();
        assert_eq!(not_after(&cert(true, &utc)), Some(1_893_553_445));
        let gen_time = [&[0x18, 15][..], b"20300102030405Z"].concat();
        assert_eq!(not_after(&cert(false, &gen_time)), Some(1_893_553_445));
        assert_eq!(not_after(b"\x30\x03abc"), None);
        assert_eq!(not_after(&[]), None);
    }
}
