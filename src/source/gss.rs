//! A Kerberos security context from the user's ticket cache (`kinit`), through the system's
//! GSS-API (MIT or Heimdal, as the LDAP `--kerberos` bind uses it): the SPNEGO tokens for a
//! service and, once established, its session key — what SMB signs with. The `libgssapi`
//! crate does not give the session key; this is the few calls it takes, and nothing else.

use std::ffi::c_void;
use std::ptr;

use libgssapi_sys as sys;

/// SPNEGO, 1.3.6.1.5.5.2: what SMB servers expect in SESSION_SETUP.
const SPNEGO: &[u8] = b"\x2b\x06\x01\x05\x05\x02";
/// GSS_C_INQ_SSPI_SESSION_KEY, 1.2.840.113554.1.2.2.5.5: the context's session key.
const SESSION_KEY: &[u8] = b"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02\x05\x05";

/// A client context for one service, e.g. `cifs@dc1.corp.example.com`.
pub(crate) struct ClientContext {
    name: sys::gss_name_t,
    context: sys::gss_ctx_id_t,
    established: bool,
}

// The handles are owned by this value alone; GSS-API allows a context to move between threads.
unsafe impl Send for ClientContext {}

impl ClientContext {
    /// A context for `service@host`, not yet started.
    pub(crate) fn new(service: &str, host: &str) -> Result<ClientContext, String> {
        let target = format!("{service}@{host}");
        let mut minor = 0;
        let mut name = ptr::null_mut();
        let mut buffer = sys::gss_buffer_desc {
            length: target.len(),
            value: target.as_ptr() as *mut c_void,
        };
        // SAFETY: the buffer points at `target`, alive for the call; GSS-API copies it.
        let major = unsafe {
            sys::gss_import_name(
                &mut minor,
                &mut buffer,
                sys::GSS_C_NT_HOSTBASED_SERVICE,
                &mut name,
            )
        };
        if major != sys::GSS_S_COMPLETE {
            return Err(status_text(major, minor));
        }
        Ok(ClientContext {
            name,
            context: ptr::null_mut(),
            established: false,
        })
    }

    /// The next token to send, given the server's last one (none at first); whether the
    /// context is established after it.
    pub(crate) fn step(&mut self, input: Option<&[u8]>) -> Result<(Vec<u8>, bool), String> {
        let mut minor = 0;
        let mut mech = oid(SPNEGO);
        let mut input_buffer = sys::gss_buffer_desc {
            length: input.map_or(0, <[u8]>::len),
            value: input.map_or(ptr::null_mut(), |bytes| bytes.as_ptr() as *mut c_void),
        };
        let mut output = sys::gss_buffer_desc {
            length: 0,
            value: ptr::null_mut(),
        };
        let mut flags = 0;
        // SAFETY: every pointer is to a live local or to handles this value owns; the
        // output buffer is released below.
        let major = unsafe {
            sys::gss_init_sec_context(
                &mut minor,
                ptr::null_mut(),
                &mut self.context,
                self.name,
                &mut mech,
                sys::GSS_C_MUTUAL_FLAG | sys::GSS_C_INTEG_FLAG,
                0,
                ptr::null_mut(),
                if input.is_some() {
                    &mut input_buffer
                } else {
                    ptr::null_mut()
                },
                ptr::null_mut(),
                &mut output,
                &mut flags,
                ptr::null_mut(),
            )
        };
        // SAFETY: GSS-API filled `output` (possibly empty); copied, then released.
        let token = unsafe { take(&mut output) };
        match major {
            sys::GSS_S_COMPLETE => {
                self.established = true;
                Ok((token, true))
            }
            sys::GSS_S_CONTINUE_NEEDED => Ok((token, false)),
            _ => Err(status_text(major, minor)),
        }
    }

    /// The established context's session key.
    pub(crate) fn session_key(&self) -> Result<Vec<u8>, String> {
        if !self.established {
            return Err("the Kerberos context is not established".into());
        }
        let mut minor = 0;
        let mut which = oid(SESSION_KEY);
        let mut set: sys::gss_buffer_set_t = ptr::null_mut();
        // SAFETY: the context is established; the set is released below.
        let major = unsafe {
            sys::gss_inquire_sec_context_by_oid(&mut minor, self.context, &mut which, &mut set)
        };
        if major != sys::GSS_S_COMPLETE {
            return Err(status_text(major, minor));
        }
        // SAFETY: on success `set` is a valid buffer set; its first element is the key.
        let key = unsafe {
            let key = if set.is_null() || (*set).count == 0 {
                None
            } else {
                let first = &*(*set).elements;
                Some(std::slice::from_raw_parts(first.value as *const u8, first.length).to_vec())
            };
            sys::gss_release_buffer_set(&mut minor, &mut set);
            key
        };
        key.filter(|key| !key.is_empty())
            .ok_or_else(|| "the Kerberos context has no session key".into())
    }
}

impl Drop for ClientContext {
    fn drop(&mut self) {
        let mut minor = 0;
        // SAFETY: the handles were made by GSS-API and are released once, here.
        unsafe {
            if !self.context.is_null() {
                sys::gss_delete_sec_context(&mut minor, &mut self.context, ptr::null_mut());
            }
            sys::gss_release_name(&mut minor, &mut self.name);
        }
    }
}

/// An OID descriptor over static bytes (GSS-API only reads it).
fn oid(bytes: &'static [u8]) -> sys::gss_OID_desc {
    sys::gss_OID_desc {
        length: bytes.len() as u32,
        elements: bytes.as_ptr() as *mut c_void,
    }
}

/// The bytes of a buffer GSS-API allocated, which is then released.
///
/// # Safety
/// `buffer` was filled by a GSS-API call (or is empty).
unsafe fn take(buffer: &mut sys::gss_buffer_desc) -> Vec<u8> {
    if buffer.value.is_null() || buffer.length == 0 {
        return Vec::new();
    }
    let mut minor = 0;
    // SAFETY: per the contract, `value` holds `length` bytes until released.
    unsafe {
        let bytes = std::slice::from_raw_parts(buffer.value as *const u8, buffer.length).to_vec();
        sys::gss_release_buffer(&mut minor, buffer);
        bytes
    }
}

/// GSS-API's messages for a failure, in one line ("no credentials" first, as `kinit` users
/// know it).
fn status_text(major: u32, minor: u32) -> String {
    let mut parts = Vec::new();
    for (code, kind) in [(major, sys::GSS_C_GSS_CODE), (minor, sys::GSS_C_MECH_CODE)] {
        if code == 0 {
            continue;
        }
        let mut context = 0;
        loop {
            let mut minor_status = 0;
            let mut text = sys::gss_buffer_desc {
                length: 0,
                value: ptr::null_mut(),
            };
            // SAFETY: `text` is released by `take`.
            let bytes = unsafe {
                sys::gss_display_status(
                    &mut minor_status,
                    code,
                    kind as i32,
                    ptr::null_mut(),
                    &mut context,
                    &mut text,
                );
                take(&mut text)
            };
            let line = String::from_utf8_lossy(&bytes).trim().to_string();
            if !line.is_empty() {
                parts.push(line);
            }
            if context == 0 || parts.len() > 8 {
                break;
            }
        }
    }
    let text = parts.join(": ");
    if text.to_lowercase().contains("no credentials") {
        format!("no Kerberos ticket: run kinit first ({text})")
    } else {
        text
    }
}
