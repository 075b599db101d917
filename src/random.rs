//! Random numbers from the operating system (Kerberos nonces, SRV weighting, throwaway values).

/// A random `u32`; zero if the OS cannot provide one (never a security property here).
pub(crate) fn u32() -> u32 {
    let mut bytes = [0u8; 4];
    let _ = getrandom::fill(&mut bytes);
    u32::from_le_bytes(bytes)
}
