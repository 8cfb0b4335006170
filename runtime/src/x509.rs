//! What the API needs from an X.509 certificate: its SHA-1 thumbprint and
//! its public key (`SubjectPublicKeyInfo`), as Add Management Certificate
//! takes them and List Management Certificates returns them.
//!
//! The one implementation for the workspace: the credentials here, the
//! emulator and the CLI all use it.

use sha1::{Digest as _, Sha1};

/// The SHA-1 thumbprint of a certificate's DER: 40 upper-case hex digits, as
/// the service and the Azure portal write it.
pub fn thumbprint(der: &[u8]) -> String {
    hex::encode_upper(Sha1::digest(der))
}

/// The DER of the `SubjectPublicKeyInfo` of a DER certificate, or `None`
/// when `der` is not (exactly) one X.509 certificate.
pub fn subject_public_key_info(der: &[u8]) -> Option<&[u8]> {
    match x509_parser::parse_x509_certificate(der) {
        Ok(([], cert)) => Some(cert.tbs_certificate.subject_pki.raw),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spki_and_thumbprint_of_a_certificate() {
        use rcgen::PublicKeyData as _;
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let der = cert.der().as_ref();
        assert_eq!(
            subject_public_key_info(der),
            Some(&key.subject_public_key_info()[..])
        );
        let tp = thumbprint(der);
        assert_eq!(tp.len(), 40);
        assert!(tp
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()));
        assert_eq!(
            thumbprint(b"abc"),
            "A9993E364706816ABA3E25717850C26C9CD0D89D"
        );

        // Trailing bytes, a truncated certificate: not one certificate.
        let mut longer = der.to_vec();
        longer.push(0);
        assert!(subject_public_key_info(&longer).is_none());
        assert!(subject_public_key_info(&der[..der.len() - 1]).is_none());
    }

    #[test]
    fn rejects_garbage() {
        assert!(subject_public_key_info(&[]).is_none());
        assert!(subject_public_key_info(b"not a cert").is_none());
        assert!(subject_public_key_info(&[0x30, 0x82, 0xff]).is_none());
        assert!(subject_public_key_info(&[0x30, 0x03, 0x30, 0x01, 0x00]).is_none());
    }
}
