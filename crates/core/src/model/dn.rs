//! Distinguished names compared as the directory compares them (RFC 4514): attribute types
//! without case, values unescaped (`\2B`, `\+`, `\,` …) and then folded like any text value, so
//! `CN=A\2BB, OU=X` and `cn=a\+b,ou=x` are the same DN.

use super::text;

/// A DN's RDNs, leaf first, each as `type=folded value` (multi-valued RDNs sorted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalDn(Vec<String>);

impl NormalDn {
    /// `None` when `dn` is not a DN (an RDN without `=`, a dangling escape).
    pub fn parse(dn: &str) -> Option<NormalDn> {
        let mut rdns = Vec::new();
        let mut parts: Vec<String> = Vec::new();
        let mut chars = dn.chars().peekable();
        let mut kind = String::new();
        let mut value: Vec<u8> = Vec::new();
        let mut in_value = false;
        // Where the value's trailing unescaped spaces start (they do not count).
        let mut significant_end = 0;
        loop {
            let c = chars.next();
            match c {
                None | Some(',') | Some(';') | Some('+') => {
                    if !in_value {
                        if c.is_none() && kind.trim().is_empty() && parts.is_empty() {
                            break; // the empty DN, or a trailing separator
                        }
                        return None;
                    }
                    value.truncate(significant_end);
                    let value = String::from_utf8(value.split_off(0)).ok()?;
                    let name = kind.trim().to_ascii_lowercase();
                    if name.is_empty() {
                        return None;
                    }
                    parts.push(format!("{name}={}", escape(&text::fold(&value))));
                    kind.clear();
                    in_value = false;
                    significant_end = 0;
                    if c != Some('+') {
                        parts.sort();
                        rdns.push(parts.join("+"));
                        parts.clear();
                    }
                    if c.is_none() {
                        break;
                    }
                }
                Some('=') if !in_value => in_value = true,
                Some('\\') if in_value => {
                    let first = chars.next()?;
                    match first.to_digit(16) {
                        Some(high) if chars.peek().is_some_and(char::is_ascii_hexdigit) => {
                            let low = chars.next()?.to_digit(16)?;
                            value.push(u8::try_from(high * 16 + low).ok()?);
                        }
                        _ => {
                            let mut buf = [0; 4];
                            value.extend_from_slice(first.encode_utf8(&mut buf).as_bytes());
                        }
                    }
                    significant_end = value.len();
                }
                Some(' ') if in_value && value.is_empty() => {} // leading spaces
                Some(other) if in_value => {
                    let mut buf = [0; 4];
                    value.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
                    if other != ' ' {
                        significant_end = value.len();
                    }
                }
                Some(other) => kind.push(other),
            }
        }
        Some(NormalDn(rdns))
    }

    /// The whole DN as normalised text (case folded, escapes unified): equal for equal DNs.
    pub fn key(&self) -> String {
        self.0.join(",")
    }

    /// Its domain part: the trailing `dc=` RDNs, normalised (`dc=adc,dc=test`).
    pub fn domain(&self) -> String {
        let first = self
            .0
            .iter()
            .rposition(|rdn| !rdn.starts_with("dc="))
            .map_or(0, |last_other| last_other + 1);
        self.0[first..].join(",")
    }

    /// Whether `self` is `base` or below it.
    pub fn is_under(&self, base: &NormalDn) -> bool {
        self.0.len() >= base.0.len() && self.0[self.0.len() - base.0.len()..] == base.0[..]
    }
}

/// Escapes what would make two different RDN lists join to the same text.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\5c")
        .replace(',', "\\2c")
        .replace('+', "\\2b")
        .replace('=', "\\3d")
}

/// An attribute value made fit for an RDN (RFC 4514 2.4): `\` before each special character,
/// and before a leading `#` or space and a trailing space.
pub fn escape_rdn_value(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len() + 4);
    let last = value.chars().count().saturating_sub(1);
    for (index, c) in value.chars().enumerate() {
        let special = matches!(c, '\\' | ',' | '+' | '"' | '<' | '>' | ';' | '=')
            || (index == 0 && matches!(c, '#' | ' '))
            || (index == last && c == ' ');
        if special {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Whether two DNs name the same object (a text that is no DN equals nothing).
pub fn same_dn(a: &str, b: &str) -> bool {
    if a.eq_ignore_ascii_case(b) {
        return true;
    }
    match (NormalDn::parse(a), NormalDn::parse(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_case_and_spaces_do_not_matter() {
        assert!(same_dn("CN=A\\2BB,OU=X,DC=y", "cn=a\\+b, ou=x ,dc=Y"));
        assert!(same_dn("CN=Büro-PC,DC=x", "cn=B\\C3\\9CRO-PC,dc=x"));
        assert!(same_dn("CN=Smith\\, John,DC=x", "CN=smith\\2c john,DC=x"));
        assert!(
            !same_dn("CN=A+B,DC=x", "CN=A\\+B,DC=x"),
            "a multi-valued RDN is not a plus"
        );
        assert!(!same_dn("CN=A,DC=x", "CN=A,DC=xx"));
        assert!(same_dn("CN=A+SN=B,DC=x", "SN=B+CN=A,DC=x"));
    }

    #[test]
    fn values_compare_folded_after_unescaping() {
        // The directory canonicalises RDN values with the same fold as text attributes.
        assert!(same_dn("CN=A ,DC=x", "CN=A,DC=x"));
        assert!(same_dn("CN=A\\ ,DC=x", "CN=A,DC=x"));
        assert!(same_dn("CN=A\\20\\20B,DC=x", "CN=A B,DC=x"));
    }

    fn is_under(dn: &str, base: &str) -> bool {
        NormalDn::parse(dn)
            .unwrap()
            .is_under(&NormalDn::parse(base).unwrap())
    }

    #[test]
    fn scope_is_by_whole_rdns() {
        assert!(is_under("CN=A,OU=W,DC=x", "dc=X"));
        assert!(is_under("CN=A,OU=W, DC=x", "OU=W,DC=X"));
        assert!(!is_under("CN=A,OU=W,DC=xx", "DC=x"));
        assert!(!is_under("CN=A,OU=XW,DC=x", "OU=W,DC=x"));
        assert!(is_under("DC=x", "DC=x"));
    }

    #[test]
    fn garbage_is_no_dn() {
        for bad in ["CN", "CN=A,foo", "CN=A\\"] {
            assert_eq!(NormalDn::parse(bad), None, "{bad}");
        }
        assert!(!same_dn("CN", "cn=x"));
    }

    #[test]
    fn rdn_values_are_escaped_as_rfc_4514_says() {
        assert_eq!(escape_rdn_value("PC01"), "PC01");
        assert_eq!(escape_rdn_value("A,B+C"), "A\\,B\\+C");
        assert_eq!(escape_rdn_value("#x "), "\\#x\\ ");
        assert!(same_dn(
            &format!("CN={},DC=x", escape_rdn_value("A,B")),
            "CN=A\\2cB,DC=x"
        ));
    }
}
