//! Kerberos messages for the AS exchange, built and parsed with `kerberos_asn1`, keys and
//! encryption with `kerberos_crypto` (AES256, AES128, RC4). Pure: no I/O.

use chrono::{DateTime, Utc};
use kerberos_asn1::{
    AsRep, AsReq, Asn1Object, EncAsRepPart, EncTgsRepPart, EncryptedData, EtypeInfo2, KdcReqBody,
    KerberosTime, KrbError, MethodData, PaData, PaEncTsEnc, PrincipalName,
};
use kerberos_constants::{error_codes, etypes, kdc_options, key_usages, pa_data_types};
use kerberos_crypto::new_kerberos_cipher;

use super::error::KerberosError;
use adcomputer_core::rules::encryption::KeyProbe;

/// Encryption types offered, strongest first.
pub(crate) const ETYPES: [i32; 3] = [
    etypes::AES256_CTS_HMAC_SHA1_96,
    etypes::AES128_CTS_HMAC_SHA1_96,
    etypes::RC4_HMAC,
];

/// What the KDC said about a password, in words an admin reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    Accepted,
    WrongPassword,
    UnknownPrincipal,
    /// Disabled, locked out or expired.
    Revoked,
    ClockSkew,
    /// No reply came back: the KDC is down, filtered or slow.
    Unreachable(KerberosError),
    /// A reply came back but gives no verdict.
    Failed(KerberosError),
}

impl Verdict {
    pub(crate) fn accepted(&self) -> bool {
        *self == Verdict::Accepted
    }

    /// The `result` of a verification in JSON and tables.
    pub(crate) fn describe(&self) -> String {
        match self {
            Verdict::Accepted => "accepted".into(),
            Verdict::WrongPassword => "wrong password (not replicated here yet?)".into(),
            Verdict::UnknownPrincipal => "unknown principal".into(),
            Verdict::Revoked => "refused: account disabled, locked out or expired".into(),
            Verdict::ClockSkew => "refused: clock skew too great".into(),
            Verdict::Unreachable(reason) => format!("KDC unreachable: {reason}"),
            Verdict::Failed(reason) => reason.to_string(),
        }
    }

    pub(crate) fn from_error(error: &KrbError) -> Verdict {
        match error.error_code {
            error_codes::KDC_ERR_PREAUTH_FAILED => Verdict::WrongPassword,
            error_codes::KDC_ERR_C_PRINCIPAL_UNKNOWN => Verdict::UnknownPrincipal,
            error_codes::KDC_ERR_CLIENT_REVOKED | error_codes::KDC_ERR_KEY_EXPIRED => {
                Verdict::Revoked
            }
            error_codes::KRB_AP_ERR_SKEW => Verdict::ClockSkew,
            code => Verdict::Failed(KerberosError::Kdc {
                code,
                text: error.e_text.clone(),
            }),
        }
    }
}

/// A reply from the KDC.
#[derive(Debug)]
pub(crate) enum Reply {
    AsRep(AsRep),
    Error(KrbError),
}

/// The etype and salt the KDC wants the key made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Salt {
    pub(crate) etype: i32,
    pub(crate) salt: Vec<u8>,
}

/// A nonce (31 bits: it is an ASN.1 INTEGER) to match a reply to its request.
pub(crate) fn new_nonce() -> u32 {
    crate::random::u32() & 0x7fff_ffff
}

/// Only the AES types: what a key probe offers.
pub(crate) const AES_ONLY: [i32; 2] = [
    etypes::AES256_CTS_HMAC_SHA1_96,
    etypes::AES128_CTS_HMAC_SHA1_96,
];

/// An AS-REQ for `principal@realm` to `krbtgt/realm` offering `offered`, with `padata`.
pub(crate) fn as_req(
    realm: &str,
    principal: &str,
    nonce: u32,
    now: DateTime<Utc>,
    padata: Vec<PaData>,
    offered: &[i32],
) -> Vec<u8> {
    let mut sname = PrincipalName::new(
        kerberos_constants::principal_names::NT_SRV_INST,
        "krbtgt".to_string(),
    );
    sname.push(realm.to_string());
    let request = AsReq {
        padata: (!padata.is_empty()).then_some(padata),
        req_body: KdcReqBody {
            kdc_options: (kdc_options::FORWARDABLE | kdc_options::CANONICALIZE).into(),
            cname: Some(PrincipalName::new(
                kerberos_constants::principal_names::NT_PRINCIPAL,
                principal.to_string(),
            )),
            realm: realm.to_string(),
            sname: Some(sname),
            from: None,
            till: KerberosTime::from(now + chrono::Duration::hours(10)),
            rtime: None,
            nonce,
            etypes: offered.to_vec(),
            addresses: None,
            enc_authorization_data: None,
            additional_tickets: None,
        },
        ..AsReq::default()
    };
    request.build()
}

/// Parses a KDC's reply. `kerberos_asn1` panics on some malformed values (a time chrono
/// cannot hold): a hostile reply is then malformed, never a crash, and the panic is not
/// printed.
/// The key probe's AS-REQ: no pre-authentication (no password, nothing to count as a failed
/// logon), and only the AES types offered, so that the answer says whether AES keys exist.
pub(crate) fn key_probe_request(
    realm: &str,
    principal: &str,
    nonce: u32,
    now: DateTime<Utc>,
) -> Vec<u8> {
    as_req(realm, principal, nonce, now, Vec::new(), &AES_ONLY)
}

pub(crate) fn parse_reply(bytes: &[u8]) -> Result<Reply, KerberosError> {
    quiet_panics_here();
    QUIET.set(true);
    let parsed = std::panic::catch_unwind(|| parse_unguarded(bytes));
    QUIET.set(false);
    parsed.unwrap_or_else(|_| {
        Err(KerberosError::Malformed {
            what: "KDC reply",
            detail: "a value out of range".into(),
        })
    })
}

thread_local! {
    /// Set while a reply is parsed: a panic then is the parser's, caught and reported.
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Installs, once, a panic hook that stays silent for panics caught in `parse_reply`.
fn quiet_panics_here() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.get() {
                previous(info);
            }
        }));
    });
}

fn parse_unguarded(bytes: &[u8]) -> Result<Reply, KerberosError> {
    let malformed = |what| {
        move |err: kerberos_asn1::Error| KerberosError::Malformed {
            what,
            detail: err.to_string(),
        }
    };
    match bytes.first() {
        // [APPLICATION 11] AS-REP
        Some(0x6b) => AsRep::parse(bytes)
            .map(|(_, reply)| Reply::AsRep(reply))
            .map_err(malformed("AS-REP")),
        // [APPLICATION 30] KRB-ERROR
        Some(0x7e) => KrbError::parse(bytes)
            .map(|(_, error)| Reply::Error(error))
            .map_err(malformed("KRB-ERROR")),
        _ => Err(KerberosError::NotKerberos),
    }
}

/// The etype and salt from a PREAUTH_REQUIRED error's PA-ETYPE-INFO2: the first entry, in
/// the KDC's order of preference, that we support. `None` for any other error.
pub(crate) fn preauth_salt(error: &KrbError) -> Option<Salt> {
    if error.error_code != error_codes::KDC_ERR_PREAUTH_REQUIRED {
        return None;
    }
    etype_info2(error)
        .into_iter()
        .find(|(etype, _)| ETYPES.contains(etype))
        .map(|(etype, salt)| Salt {
            etype,
            salt: salt.map(String::into_bytes).unwrap_or_default(),
        })
}

/// What a reply to an AES-only AS-REQ without pre-authentication says of the account's keys.
pub(crate) fn judge_key_probe(reply: Result<Reply, KerberosError>) -> KeyProbe {
    let error = match reply {
        Ok(Reply::Error(error)) => error,
        // No pre-authentication required: the reply is encrypted in a key we offered.
        Ok(Reply::AsRep(reply)) => return KeyProbe::AesKeys(vec![reply.enc_part.etype]),
        Err(reason) => return KeyProbe::NotProbed(format!("the KDC's answer: {reason}")),
    };
    match error.error_code {
        error_codes::KDC_ERR_ETYPE_NOSUPP => KeyProbe::NoAesKeys(Vec::new()),
        // Asked for AES only, the KDC names in ETYPE-INFO2 the keys of those types it holds
        // (RFC 4120 5.2.7.5): none named, or none AES, is no AES key (Samba answers so; MIT
        // kinit then says "KDC has no support for encryption type").
        error_codes::KDC_ERR_PREAUTH_REQUIRED => {
            let named: Vec<i32> = etype_info2(&error)
                .into_iter()
                .map(|(etype, _)| etype)
                .collect();
            let (aes, others): (Vec<i32>, Vec<i32>) = named
                .into_iter()
                .partition(|etype| AES_ONLY.contains(etype));
            if aes.is_empty() {
                KeyProbe::NoAesKeys(others)
            } else {
                KeyProbe::AesKeys(aes)
            }
        }
        _ => KeyProbe::NotProbed(Verdict::from_error(&error).describe()),
    }
}

/// The (etype, salt) entries of a PREAUTH_REQUIRED error's PA-ETYPE-INFO2, in the KDC's order.
fn etype_info2(error: &KrbError) -> Vec<(i32, Option<String>)> {
    let Some(Ok((_, methods))) = error.e_data.as_deref().map(MethodData::parse) else {
        return Vec::new();
    };
    methods
        .iter()
        .filter(|pa| pa.padata_type == pa_data_types::PA_ETYPE_INFO2)
        .filter_map(|pa| EtypeInfo2::parse(&pa.padata_value).ok())
        .flat_map(|(_, entries)| entries.into_iter().map(|entry| (entry.etype, entry.salt)))
        .collect()
}

/// PA-ENC-TIMESTAMP: the current time encrypted with the key made from `password`.
pub(crate) fn enc_timestamp(
    salt: &Salt,
    password: &str,
    now: DateTime<Utc>,
) -> Result<PaData, KerberosError> {
    let cipher =
        new_kerberos_cipher(salt.etype).map_err(|_| KerberosError::UnsupportedEtype(salt.etype))?;
    let key = cipher.generate_key_from_string(password, &salt.salt);
    let timestamp = PaEncTsEnc::new(
        KerberosTime::from(now),
        i32::try_from(now.timestamp_subsec_micros()).ok(),
    );
    let encrypted = cipher.encrypt(
        &key,
        key_usages::KEY_USAGE_AS_REQ_TIMESTAMP,
        &timestamp.build(),
    );
    let value = EncryptedData::new(salt.etype, None, encrypted).build();
    Ok(PaData::new(pa_data_types::PA_ENC_TIMESTAMP, value))
}

/// Whether the AS-REP's encrypted part opens with the key made from `password` and carries
/// our nonce. Without a salt from the KDC (no pre-authentication), the AS-REP's own padata
/// says which one to use.
pub(crate) fn check_as_rep(
    reply: &AsRep,
    password: &str,
    salt: Option<&Salt>,
    nonce: u32,
) -> Verdict {
    let etype = reply.enc_part.etype;
    let salt_bytes = match salt {
        Some(salt) if salt.etype == etype => salt.salt.clone(),
        _ => reply
            .padata
            .iter()
            .flatten()
            .find(|pa| pa.padata_type == pa_data_types::PA_ETYPE_INFO2)
            .and_then(|pa| EtypeInfo2::parse(&pa.padata_value).ok())
            .and_then(|(_, entries)| entries.into_iter().find(|e| e.etype == etype))
            .and_then(|entry| entry.salt)
            .map(String::into_bytes)
            .unwrap_or_default(),
    };
    let Ok(cipher) = new_kerberos_cipher(etype) else {
        return Verdict::Failed(KerberosError::UnsupportedEtype(etype));
    };
    let key = cipher.generate_key_from_string(password, &salt_bytes);
    let Ok(plain) = cipher.decrypt(
        &key,
        key_usages::KEY_USAGE_AS_REP_ENC_PART,
        &reply.enc_part.cipher,
    ) else {
        return Verdict::WrongPassword;
    };
    // Some KDCs tag the AS-REP's encrypted part as EncTGSRepPart (RFC 4120 §5.4.2 allows it).
    let reply_nonce = EncAsRepPart::parse(&plain)
        .map(|(_, part)| part.nonce)
        .or_else(|_| EncTgsRepPart::parse(&plain).map(|(_, part)| part.nonce));
    match reply_nonce {
        Ok(found) if found == nonce => Verdict::Accepted,
        Ok(_) => Verdict::Failed(KerberosError::NonceMismatch),
        Err(err) => Verdict::Failed(KerberosError::Malformed {
            what: "encrypted AS-REP part",
            detail: err.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(name: &str) -> Vec<u8> {
        let path = format!("{}/fixtures/kerberos/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
    }

    fn error(name: &str) -> KrbError {
        match parse_reply(&recorded(name)).unwrap() {
            Reply::Error(error) => error,
            other => panic!("{other:?}"),
        }
    }

    const FIXTURE_PASSWORD: &str = "Fixture-Machine-Pass-1";
    const RECORDED_NONCE: u32 = 0x1234_5678;

    fn recorded_salt() -> Salt {
        Salt {
            etype: etypes::AES256_CTS_HMAC_SHA1_96,
            salt: b"ADC.TESThostfinance-laptop7.adc.test".to_vec(),
        }
    }

    #[test]
    fn salt_comes_from_etype_info2() {
        assert_eq!(
            preauth_salt(&error("preauth-required.der")),
            Some(recorded_salt())
        );
        assert_eq!(preauth_salt(&error("preauth-failed.der")), None);
    }

    #[test]
    fn recorded_as_rep_opens_only_with_the_right_password_and_nonce() {
        let Reply::AsRep(reply) = parse_reply(&recorded("as-rep.der")).unwrap() else {
            panic!("not an AS-REP")
        };
        let salt = recorded_salt();
        assert_eq!(
            check_as_rep(&reply, FIXTURE_PASSWORD, Some(&salt), RECORDED_NONCE),
            Verdict::Accepted
        );
        assert_eq!(
            check_as_rep(&reply, "finance-laptop", Some(&salt), RECORDED_NONCE),
            Verdict::WrongPassword
        );
        assert_eq!(
            check_as_rep(&reply, FIXTURE_PASSWORD, Some(&salt), 1),
            Verdict::Failed(KerberosError::NonceMismatch)
        );
    }

    #[test]
    fn kdc_errors_become_plain_words() {
        assert_eq!(
            Verdict::from_error(&error("preauth-failed.der")),
            Verdict::WrongPassword
        );
        assert_eq!(
            Verdict::from_error(&error("principal-unknown.der")),
            Verdict::UnknownPrincipal
        );
        let mut revoked = error("preauth-failed.der");
        revoked.error_code = error_codes::KDC_ERR_CLIENT_REVOKED;
        assert_eq!(Verdict::from_error(&revoked), Verdict::Revoked);
        revoked.error_code = error_codes::KRB_AP_ERR_SKEW;
        assert_eq!(
            Verdict::from_error(&revoked).describe(),
            "refused: clock skew too great"
        );
    }

    #[test]
    fn as_req_round_trips_with_pre_authentication() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-21T05:00:00.123456Z")
            .unwrap()
            .with_timezone(&Utc);
        let padata = enc_timestamp(&recorded_salt(), FIXTURE_PASSWORD, now).unwrap();
        let bytes = as_req("ADC.TEST", "PC01$", 42, now, vec![padata], &ETYPES);
        let (_, request) = AsReq::parse(&bytes).unwrap();
        assert_eq!(request.req_body.realm, "ADC.TEST");
        assert_eq!(request.req_body.cname.unwrap().to_string(), "PC01$");
        assert_eq!(request.req_body.nonce, 42);
        assert_eq!(request.req_body.etypes, ETYPES);
        let padata = request.padata.unwrap();
        assert_eq!(padata[0].padata_type, pa_data_types::PA_ENC_TIMESTAMP);
        // The timestamp decrypts with the same key: the KDC will be able to read it.
        let (_, encrypted) = EncryptedData::parse(&padata[0].padata_value).unwrap();
        let cipher = new_kerberos_cipher(encrypted.etype).unwrap();
        let key = cipher.generate_key_from_string(FIXTURE_PASSWORD, &recorded_salt().salt);
        let plain = cipher
            .decrypt(
                &key,
                key_usages::KEY_USAGE_AS_REQ_TIMESTAMP,
                &encrypted.cipher,
            )
            .unwrap();
        let (_, timestamp) = PaEncTsEnc::parse(&plain).unwrap();
        assert_eq!(
            timestamp.patimestamp.timestamp(),
            now.timestamp(),
            "the time sent"
        );
        assert_eq!(timestamp.pausec, Some(123_456), "and its microseconds");
        // A wrong password's key does not open it.
        let wrong = cipher.generate_key_from_string("wrong", &recorded_salt().salt);
        assert!(
            cipher
                .decrypt(
                    &wrong,
                    key_usages::KEY_USAGE_AS_REQ_TIMESTAMP,
                    &encrypted.cipher
                )
                .is_err()
        );
    }

    #[test]
    fn a_key_probe_reads_the_kdc_answer() {
        // PREAUTH_REQUIRED, recorded from Samba for an account with AES keys.
        let preauth = Ok(Reply::Error(error("preauth-required.der")));
        assert_eq!(
            judge_key_probe(preauth),
            KeyProbe::AesKeys(vec![etypes::AES256_CTS_HMAC_SHA1_96]),
            "Samba names the strongest key of those asked for"
        );
        let mut nosupp = error("preauth-failed.der");
        nosupp.error_code = error_codes::KDC_ERR_ETYPE_NOSUPP;
        assert_eq!(
            judge_key_probe(Ok(Reply::Error(nosupp))),
            KeyProbe::NoAesKeys(Vec::new())
        );
        assert_eq!(
            judge_key_probe(Ok(Reply::Error(error("principal-unknown.der")))),
            KeyProbe::NotProbed("unknown principal".into())
        );
        let mut revoked = error("preauth-failed.der");
        revoked.error_code = error_codes::KDC_ERR_CLIENT_REVOKED;
        assert_eq!(
            judge_key_probe(Ok(Reply::Error(revoked))),
            KeyProbe::NotProbed("refused: account disabled, locked out or expired".into())
        );
        assert!(matches!(
            judge_key_probe(Err(KerberosError::NotKerberos)),
            KeyProbe::NotProbed(_)
        ));
    }

    #[test]
    fn the_key_probe_offers_only_aes_and_no_pre_authentication() {
        let bytes = key_probe_request("ADC.TEST", "PC01$", 7, Utc::now());
        let (_, request) = AsReq::parse(&bytes).unwrap();
        assert_eq!(
            request.req_body.etypes,
            [
                etypes::AES256_CTS_HMAC_SHA1_96,
                etypes::AES128_CTS_HMAC_SHA1_96
            ]
        );
        assert!(request.padata.is_none(), "no password, in any form");
        assert_eq!(request.req_body.cname.unwrap().to_string(), "PC01$");
    }

    /// Cut, flipped and random bytes never panic the parser nor the judgement.
    #[test]
    fn mangled_answers_are_not_probed_never_a_panic() {
        let recorded = [
            recorded("preauth-required.der"),
            recorded("preauth-failed.der"),
            recorded("principal-unknown.der"),
            recorded("as-rep.der"),
        ];
        let mut state = 0x9e37_79b9_u32;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        for bytes in &recorded {
            for cut in 0..bytes.len() {
                let _ = judge_key_probe(parse_reply(&bytes[..cut]));
            }
            for _ in 0..2000 {
                let mut mangled = bytes.clone();
                for _ in 0..1 + next() % 4 {
                    let at = next() as usize % mangled.len();
                    mangled[at] = next() as u8;
                }
                let _ = judge_key_probe(parse_reply(&mangled));
            }
        }
        for _ in 0..2000 {
            let length = next() as usize % 300;
            let mut junk: Vec<u8> = (0..length).map(|_| next() as u8).collect();
            if let Some(first) = junk.first_mut() {
                *first = [0x6b, 0x7e][next() as usize % 2];
            }
            let _ = judge_key_probe(parse_reply(&junk));
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for junk in [&b"\x6b\x00"[..], b"\x7e\x82\xff\xff"] {
            assert!(
                matches!(parse_reply(junk), Err(KerberosError::Malformed { .. })),
                "{junk:?}"
            );
        }
        for junk in [&b""[..], b"HTTP/1.1 400"] {
            assert!(
                matches!(parse_reply(junk), Err(KerberosError::NotKerberos)),
                "{junk:?}"
            );
        }
    }
}
