//! Kerberos encryption types: the bits of `msDS-SupportedEncryptionTypes` (MS-KILE 2.2.7) and
//! the etype numbers (RFC 3961, RFC 4757) a KDC names an account's keys by.

use serde::Serialize;

pub const DES_CBC_CRC: u32 = 0x1;
pub const DES_CBC_MD5: u32 = 0x2;
pub const RC4_HMAC: u32 = 0x4;
pub const AES128: u32 = 0x8;
pub const AES256: u32 = 0x10;
/// Not a key type: AES session keys for tickets even where the service has only RC4 keys.
pub const AES256_SESSION_KEYS: u32 = 0x20;

/// Both DES bits.
pub const DES: u32 = DES_CBC_CRC | DES_CBC_MD5;
/// Both AES bits.
pub const AES: u32 = AES128 | AES256;

const BIT_NAMES: [(u32, &str); 6] = [
    (DES_CBC_CRC, "DES-CBC-CRC"),
    (DES_CBC_MD5, "DES-CBC-MD5"),
    (RC4_HMAC, "RC4-HMAC"),
    (AES128, "AES128-CTS-HMAC-SHA1-96"),
    (AES256, "AES256-CTS-HMAC-SHA1-96"),
    (AES256_SESSION_KEYS, "AES256-SK"),
];

/// `msDS-SupportedEncryptionTypes` as reports show it: the number and its bits' names (bits
/// without a name as hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupportedTypes {
    pub value: u32,
    pub names: Vec<String>,
}

impl SupportedTypes {
    pub fn of(value: u32) -> SupportedTypes {
        let mut names: Vec<String> = BIT_NAMES
            .iter()
            .filter(|(bit, _)| value & bit != 0)
            .map(|(_, name)| (*name).to_string())
            .collect();
        let known = BIT_NAMES.iter().fold(0, |all, (bit, _)| all | bit);
        if value & !known != 0 {
            names.push(format!("0x{:x}", value & !known));
        }
        SupportedTypes { value, names }
    }
}

/// AES256 and AES128 keys, as a KDC numbers them.
pub const ETYPE_AES256: i32 = 18;
pub const ETYPE_AES128: i32 = 17;

/// The name MIT's `klist -e` gives an etype number.
pub fn etype_name(etype: i32) -> String {
    match etype {
        1 => "des-cbc-crc".into(),
        3 => "des-cbc-md5".into(),
        17 => "aes128-cts-hmac-sha1-96".into(),
        18 => "aes256-cts-hmac-sha1-96".into(),
        19 => "aes128-cts-hmac-sha256-128".into(),
        20 => "aes256-cts-hmac-sha384-192".into(),
        23 => "arcfour-hmac".into(),
        other => format!("etype {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_are_named_as_microsoft_names_them() {
        assert_eq!(SupportedTypes::of(4).names, ["RC4-HMAC"]);
        assert_eq!(
            SupportedTypes::of(0x1c).names,
            [
                "RC4-HMAC",
                "AES128-CTS-HMAC-SHA1-96",
                "AES256-CTS-HMAC-SHA1-96"
            ]
        );
        assert_eq!(
            SupportedTypes::of(0x80000003).names,
            ["DES-CBC-CRC", "DES-CBC-MD5", "0x80000000"]
        );
        assert_eq!(etype_name(23), "arcfour-hmac");
        assert_eq!(etype_name(99), "etype 99");
    }
}
