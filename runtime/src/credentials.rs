//! Management certificates for the classic Service Management API.
//!
//! Every request to the Service Management API is authenticated with a TLS
//! client certificate (a *management certificate*) that has been uploaded to
//! the subscription. This module loads such a certificate and its private key
//! from:
//!
//! - PEM (one combined buffer or file, or a certificate and a key apart);
//!   private keys may be PKCS#8, PKCS#1 (RSA) or SEC1 (EC), unencrypted;
//! - PKCS#12 (`.pfx`), with legacy (3DES, RC2-40) or modern (PBES2/AES-256)
//!   encryption;
//! - `.publishsettings` files (schema 1.0 and 2.0), which embed a PKCS#12
//!   certificate with an empty password.
//!
//! It also builds the [`rustls::ClientConfig`] used by the HTTP client:
//! [`client_tls_config`].
//!
//! Nothing in this module ever prints key material or passwords: the
//! [`fmt::Debug`] implementations redact the key, and error messages never
//! quote the input.

use std::borrow::Cow;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use quick_xml::events::{BytesStart, Event};
use rustls::crypto::CryptoProvider;
use rustls::sign::{CertifiedKey, SigningKey};
use rustls_pki_types::pem::{self, PemObject, SectionKind};
use rustls_pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer,
};

/// Errors raised while loading credentials or building the TLS configuration.
///
/// Messages never contain key material, certificate bytes or passwords.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialsError {
    /// A file could not be read.
    #[error("cannot read {}: {source}", .path.display())]
    Io {
        /// The file that could not be read.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// Malformed or unsupported PEM input.
    #[error("invalid PEM: {0}")]
    Pem(String),
    /// Malformed or unsupported PKCS#12 input, or a wrong password.
    #[error("invalid PKCS#12: {0}")]
    Pkcs12(String),
    /// The input holds no private key.
    #[error("no private key found")]
    NoPrivateKey,
    /// The input holds no certificate.
    #[error("no certificate found")]
    NoCertificate,
    /// The private key does not belong to any of the certificates.
    #[error("the private key does not match the certificate")]
    KeyMismatch,
    /// Malformed `.publishsettings` document.
    #[error("invalid publish settings: {0}")]
    PublishSettings(String),
    /// The requested subscription is not in the publish settings.
    #[error("{}", no_subscription_message(.id.as_deref()))]
    NoSubscription {
        /// The subscription id asked for, if any.
        id: Option<String>,
    },
    /// The TLS configuration could not be built.
    #[error("TLS configuration error: {0}")]
    Tls(String),
}

fn no_subscription_message(id: Option<&str>) -> String {
    match id {
        Some(id) => format!("subscription {id} not found in the publish settings"),
        None => "the publish settings contain no subscription".to_owned(),
    }
}

type Result<T, E = CredentialsError> = std::result::Result<T, E>;

/// Where a key came from, to report errors in the matching variant.
#[derive(Clone, Copy)]
enum Origin {
    Pem,
    Pkcs12,
}

impl Origin {
    fn error(self, message: impl Into<String>) -> CredentialsError {
        match self {
            Origin::Pem => CredentialsError::Pem(message.into()),
            Origin::Pkcs12 => CredentialsError::Pkcs12(message.into()),
        }
    }
}

fn ring_provider() -> CryptoProvider {
    rustls::crypto::ring::default_provider()
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| CredentialsError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// A management certificate: the client certificate chain (leaf first), its
/// private key and the leaf's thumbprint.
///
/// Cheap to clone (the material is shared). `Debug` shows the thumbprint only.
#[derive(Clone)]
pub struct Credentials {
    inner: Arc<Inner>,
}

struct Inner {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    thumbprint: String,
}

impl Credentials {
    /// Loads credentials from one PEM buffer holding one or more
    /// `CERTIFICATE` sections and exactly one unencrypted private key
    /// (`PRIVATE KEY`, `RSA PRIVATE KEY` or `EC PRIVATE KEY`).
    ///
    /// The certificate matching the key becomes the leaf, wherever it is in
    /// the buffer; the other certificates follow it in the chain.
    pub fn from_pem(pem: &[u8]) -> Result<Self> {
        reject_encrypted_pem(pem)?;
        let sections = pem_sections(pem)?;
        let (certs, keys) = split_sections(sections);
        Self::from_pem_items(certs, keys)
    }

    /// Loads credentials from a PEM certificate (chain) and a PEM private key
    /// given apart.
    pub fn from_pem_parts(cert_pem: &[u8], key_pem: &[u8]) -> Result<Self> {
        reject_encrypted_pem(key_pem)?;
        let (certs, _) = split_sections(pem_sections(cert_pem)?);
        let (_, keys) = split_sections(pem_sections(key_pem)?);
        Self::from_pem_items(certs, keys)
    }

    /// Loads credentials from one PEM file; see [`Credentials::from_pem`].
    pub fn from_pem_file(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_pem(&read_file(path.as_ref())?)
    }

    /// Loads credentials from a PEM certificate file and a PEM key file; see
    /// [`Credentials::from_pem_parts`].
    pub fn from_pem_files(cert: impl AsRef<Path>, key: impl AsRef<Path>) -> Result<Self> {
        let cert = read_file(cert.as_ref())?;
        let key = read_file(key.as_ref())?;
        Self::from_pem_parts(&cert, &key)
    }

    /// Builds credentials from DER: a certificate chain and its private key.
    ///
    /// The certificate matching the key is moved to the front of the chain.
    pub fn from_der(
        cert_chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Self> {
        Self::from_pem_items(cert_chain, vec![key])
    }

    fn from_pem_items(
        certs: Vec<CertificateDer<'static>>,
        mut keys: Vec<PrivateKeyDer<'static>>,
    ) -> Result<Self> {
        if certs.is_empty() {
            return Err(CredentialsError::NoCertificate);
        }
        let key = match keys.len() {
            0 => return Err(CredentialsError::NoPrivateKey),
            1 => keys.pop().ok_or(CredentialsError::NoPrivateKey)?,
            n => {
                return Err(CredentialsError::Pem(format!(
                    "found {n} private keys, expected exactly one"
                )))
            }
        };
        let signing_key = load_signing_key(&key, Origin::Pem)?;
        let leaf = find_leaf(&certs, &signing_key, Origin::Pem)?;
        let mut chain = certs;
        if leaf != 0 && leaf < chain.len() {
            let leaf_cert = chain.remove(leaf);
            chain.insert(0, leaf_cert);
        }
        Ok(Self::assemble(chain, key))
    }

    /// Loads credentials from a PKCS#12 (`.pfx`) archive.
    ///
    /// Legacy encryption (`PBE-SHA1-3DES`, `PBE-SHA1-RC2-40`, as produced by
    /// Windows and by the Azure portal's `.publishsettings`) and PBES2
    /// (PBKDF2 + AES) are supported. An empty password is the empty string.
    pub fn from_pkcs12(der: &[u8], password: &str) -> Result<Self> {
        let archive =
            p12_keystore::Pkcs12Archive::from_pkcs12(der, password).map_err(pkcs12_error)?;
        if archive.keys.is_empty() {
            return Err(CredentialsError::NoPrivateKey);
        }
        if archive.certs.is_empty() {
            return Err(CredentialsError::NoCertificate);
        }
        let all_certs: Vec<&p12_keystore::Certificate> =
            archive.certs.iter().map(|bag| &bag.cert).collect();

        let mut last_error = CredentialsError::KeyMismatch;
        for key_bag in &archive.keys {
            let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_bag.key.as_der().to_vec()));
            let signing_key = match load_signing_key(&key, Origin::Pkcs12) {
                Ok(signing_key) => signing_key,
                Err(e) => {
                    last_error = e;
                    continue;
                }
            };
            // Candidates: certificates sharing the key's localKeyId first,
            // then every other certificate.
            let key_id = key_bag.local_key_id.as_ref().map(|id| id.as_ref());
            let mut order: Vec<usize> = Vec::with_capacity(all_certs.len());
            for linked in [true, false] {
                for (index, bag) in archive.certs.iter().enumerate() {
                    let same_id = key_id.is_some() && bag.local_key_id.as_deref() == key_id;
                    if same_id == linked {
                        order.push(index);
                    }
                }
            }
            let candidates: Vec<CertificateDer<'static>> = order
                .iter()
                .filter_map(|&index| all_certs.get(index))
                .map(|cert| CertificateDer::from(cert.as_der().to_vec()))
                .collect();
            match find_leaf(&candidates, &signing_key, Origin::Pkcs12) {
                Ok(position) => {
                    let Some(&leaf_index) = order.get(position) else {
                        continue;
                    };
                    let chain = pkcs12_chain(leaf_index, &all_certs);
                    return Ok(Self::assemble(chain, key));
                }
                Err(e) => last_error = e,
            }
        }
        Err(last_error)
    }

    /// Loads credentials from a PKCS#12 file; see [`Credentials::from_pkcs12`].
    pub fn from_pkcs12_file(path: impl AsRef<Path>, password: &str) -> Result<Self> {
        Self::from_pkcs12(&read_file(path.as_ref())?, password)
    }

    fn assemble(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> Self {
        let thumbprint = chain
            .first()
            .map(|leaf| crate::x509::thumbprint(leaf.as_ref()))
            .unwrap_or_default();
        Self {
            inner: Arc::new(Inner {
                chain,
                key,
                thumbprint,
            }),
        }
    }

    /// The SHA-1 thumbprint of the leaf certificate: 40 uppercase hex digits,
    /// as the Azure portal shows management certificates.
    pub fn thumbprint(&self) -> &str {
        &self.inner.thumbprint
    }

    /// The DER encoding of the leaf certificate.
    pub fn certificate_der(&self) -> &[u8] {
        self.inner
            .chain
            .first()
            .map(|cert| cert.as_ref())
            .unwrap_or_default()
    }

    /// The certificate chain, leaf first.
    pub fn cert_chain(&self) -> &[CertificateDer<'static>] {
        &self.inner.chain
    }

    /// A copy of the private key.
    pub fn private_key(&self) -> PrivateKeyDer<'static> {
        self.inner.key.clone_key()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("thumbprint", &self.thumbprint())
            .field("private_key", &"<redacted>")
            .finish()
    }
}

fn load_signing_key(key: &PrivateKeyDer<'static>, origin: Origin) -> Result<Arc<dyn SigningKey>> {
    ring_provider()
        .key_provider
        .load_private_key(key.clone_key())
        .map_err(|e| origin.error(format!("unsupported or malformed private key: {e}")))
}

/// Which certificate matches the key?
enum KeyMatch {
    Yes,
    No,
    Unknown,
    BadCertificate,
}

fn key_matches(cert: &CertificateDer<'static>, key: &Arc<dyn SigningKey>) -> KeyMatch {
    match CertifiedKey::new(vec![cert.clone()], Arc::clone(key)).keys_match() {
        Ok(()) => KeyMatch::Yes,
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => KeyMatch::No,
        Err(rustls::Error::InconsistentKeys(_)) => KeyMatch::Unknown,
        Err(_) => KeyMatch::BadCertificate,
    }
}

/// Index of the certificate whose public key is the key's.
fn find_leaf(
    certs: &[CertificateDer<'static>],
    key: &Arc<dyn SigningKey>,
    origin: Origin,
) -> Result<usize> {
    let mut bad_certificate = false;
    for (index, cert) in certs.iter().enumerate() {
        match key_matches(cert, key) {
            KeyMatch::Yes => return Ok(index),
            // The key cannot tell its public key: trust the given order.
            KeyMatch::Unknown => return Ok(0),
            KeyMatch::No => {}
            KeyMatch::BadCertificate => bad_certificate = true,
        }
    }
    if bad_certificate {
        Err(origin.error("a certificate is not valid X.509 DER"))
    } else {
        Err(CredentialsError::KeyMismatch)
    }
}

/// The leaf, then its issuers as far as the archive holds them.
fn pkcs12_chain(
    leaf_index: usize,
    certs: &[&p12_keystore::Certificate],
) -> Vec<CertificateDer<'static>> {
    let mut used = vec![leaf_index];
    let mut chain = Vec::new();
    let Some(mut current) = certs.get(leaf_index).copied() else {
        return chain;
    };
    chain.push(CertificateDer::from(current.as_der().to_vec()));
    while current.issuer() != current.subject() && chain.len() < certs.len() {
        let next = certs
            .iter()
            .enumerate()
            .find(|(index, cert)| !used.contains(index) && cert.subject() == current.issuer());
        let Some((index, cert)) = next else { break };
        used.push(index);
        chain.push(CertificateDer::from(cert.as_der().to_vec()));
        current = cert;
    }
    chain
}

fn pkcs12_error(error: p12_keystore::error::Error) -> CredentialsError {
    use p12_keystore::error::Error as E;
    let message = match error {
        E::MacError(_) => "MAC verification failed: wrong password or corrupted file".to_owned(),
        E::UnpadError => "decryption failed: wrong password or corrupted file".to_owned(),
        E::Pkcs5Error(detail) => {
            format!("decryption failed (wrong password or corrupted file): {detail}")
        }
        E::UnsupportedEncryptionScheme => "unsupported encryption algorithm".to_owned(),
        E::UnsupportedMacAlgorithm => "unsupported MAC algorithm".to_owned(),
        E::DerError(e) => format!("malformed DER: {e}"),
        E::X509Error(e) => format!("invalid certificate: {e}"),
        E::InvalidPrivateKey => "malformed private key".to_owned(),
        other => other.to_string(),
    };
    CredentialsError::Pkcs12(message)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

fn reject_encrypted_pem(pem: &[u8]) -> Result<()> {
    if contains(pem, b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        || contains(pem, b"Proc-Type: 4,ENCRYPTED")
    {
        return Err(CredentialsError::Pem(
            "encrypted private keys are not supported; decrypt the key first \
             (for example `openssl pkey -in key.pem -out key-plain.pem`) or use a .pfx"
                .to_owned(),
        ));
    }
    Ok(())
}

fn pem_sections(pem: &[u8]) -> Result<Vec<(SectionKind, Vec<u8>)>> {
    <(SectionKind, Vec<u8>) as PemObject>::pem_slice_iter(pem)
        .map(|item| item.map_err(pem_error))
        .collect()
}

/// Describes a PEM error without quoting the input.
fn pem_error(error: pem::Error) -> CredentialsError {
    let message = match error {
        pem::Error::MissingSectionEnd { .. } => "a section has no END line",
        pem::Error::IllegalSectionStart { .. } => "malformed BEGIN line",
        pem::Error::Base64Decode(_) => "a section is not valid base64",
        pem::Error::SectionTooLarge => "a section is too large",
        pem::Error::NoItemsFound => "no PEM sections found",
        _ => "cannot read the PEM data",
    };
    CredentialsError::Pem(message.to_owned())
}

fn split_sections(
    sections: Vec<(SectionKind, Vec<u8>)>,
) -> (Vec<CertificateDer<'static>>, Vec<PrivateKeyDer<'static>>) {
    let mut certs = Vec::new();
    let mut keys = Vec::new();
    for (kind, der) in sections {
        match kind {
            SectionKind::Certificate => certs.push(CertificateDer::from(der)),
            SectionKind::PrivateKey => {
                keys.push(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der)))
            }
            SectionKind::RsaPrivateKey => {
                keys.push(PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(der)))
            }
            SectionKind::EcPrivateKey => {
                keys.push(PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(der)))
            }
            _ => {}
        }
    }
    (certs, keys)
}

/// Parses PEM text holding one or more CA certificates (for the
/// `extra_roots` of [`client_tls_config`]). Other sections are ignored.
pub fn parse_ca_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>> {
    let (certs, _) = split_sections(pem_sections(pem)?);
    if certs.is_empty() {
        return Err(CredentialsError::NoCertificate);
    }
    let mut store = rustls::RootCertStore::empty();
    for cert in &certs {
        store
            .add(cert.clone())
            .map_err(|e| CredentialsError::Pem(format!("invalid CA certificate: {e}")))?;
    }
    Ok(certs)
}

/// Builds the rustls client configuration used by the HTTP client.
///
/// Server certificates are always verified, against the webpki (Mozilla)
/// roots plus `extra_roots`. With `credentials`, the client authenticates
/// with that certificate; without, it offers no client certificate. The
/// crypto provider is `ring`, set explicitly (no process-wide default is
/// consulted or installed). ALPN offers `http/1.1` only.
pub fn client_tls_config(
    credentials: Option<&Credentials>,
    extra_roots: &[CertificateDer<'static>],
) -> Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for root in extra_roots {
        roots
            .add(root.clone())
            .map_err(|e| CredentialsError::Tls(format!("invalid extra root certificate: {e}")))?;
    }
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(ring_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| CredentialsError::Tls(e.to_string()))?
        .with_root_certificates(roots);
    let mut config = match credentials {
        Some(credentials) => builder
            .with_client_auth_cert(credentials.cert_chain().to_vec(), credentials.private_key())
            .map_err(|e| CredentialsError::Tls(format!("client certificate: {e}")))?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The contents of a `.publishsettings` file: the subscriptions of its
/// `AzureServiceManagementAPI` publish profiles, in document order.
#[derive(Clone, Debug)]
pub struct PublishSettings {
    /// The subscriptions, in document order.
    pub subscriptions: Vec<PublishedSubscription>,
}

/// One subscription of a `.publishsettings` file. `Debug` redacts the key.
#[derive(Clone, Debug)]
pub struct PublishedSubscription {
    /// The subscription id (a GUID).
    pub id: String,
    /// The subscription's display name (empty if the file has none).
    pub name: String,
    /// The Service Management endpoint, e.g. `https://management.core.windows.net/`.
    pub service_management_url: Option<String>,
    /// The management certificate.
    pub credentials: Credentials,
}

/// Lenient standard base64: padding optional.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

const ASM_PUBLISH_METHOD: &str = "AzureServiceManagementAPI";

/// The `PublishProfile` being read.
struct Profile {
    service_management: bool,
    url: Option<String>,
    certificate: Option<String>,
    credentials: Option<Credentials>,
}

impl PublishSettings {
    /// Parses a `.publishsettings` document (schema 1.0 or 2.0).
    ///
    /// Profiles whose `PublishMethod` is not `AzureServiceManagementAPI` are
    /// ignored. A document without any such subscription is an error.
    pub fn parse(xml: &[u8]) -> Result<Self> {
        let text = xml_text(xml)?;
        let mut reader = quick_xml::Reader::from_str(&text);
        let mut root_seen = false;
        let mut profile: Option<Profile> = None;
        let mut subscriptions = Vec::new();
        loop {
            let position = reader.buffer_position();
            let event = reader.read_event().map_err(|e| xml_error(&e, position))?;
            let (element, is_start) = match &event {
                Event::Start(element) => (element, true),
                Event::Empty(element) => (element, false),
                Event::End(end) => {
                    if end.local_name().as_ref() == b"PublishProfile" {
                        profile = None;
                    }
                    continue;
                }
                Event::Eof => break,
                _ => continue,
            };
            let name = element.local_name();
            if !root_seen {
                if name.as_ref() != b"PublishData" {
                    return Err(CredentialsError::PublishSettings(format!(
                        "the root element is <{}>, expected <PublishData>",
                        String::from_utf8_lossy(name.as_ref())
                    )));
                }
                root_seen = true;
                continue;
            }
            match name.as_ref() {
                b"PublishProfile" if is_start => {
                    let attrs = attributes(element)?;
                    profile = Some(Profile {
                        service_management: attr(&attrs, "PublishMethod")
                            .is_none_or(|method| method.eq_ignore_ascii_case(ASM_PUBLISH_METHOD)),
                        url: attr(&attrs, "Url").map(str::to_owned),
                        certificate: attr(&attrs, "ManagementCertificate").map(str::to_owned),
                        credentials: None,
                    });
                }
                b"Subscription" => {
                    if let Some(profile) = profile.as_mut().filter(|p| p.service_management) {
                        subscriptions.push(read_subscription(element, profile)?);
                    }
                }
                _ => {}
            }
        }
        if !root_seen {
            return Err(CredentialsError::PublishSettings(
                "the document has no <PublishData> element".to_owned(),
            ));
        }
        if subscriptions.is_empty() {
            return Err(CredentialsError::PublishSettings(format!(
                "no subscription in a PublishProfile with PublishMethod=\"{ASM_PUBLISH_METHOD}\""
            )));
        }
        Ok(Self { subscriptions })
    }

    /// Reads and parses a `.publishsettings` file; see [`PublishSettings::parse`].
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        Self::parse(&read_file(path.as_ref())?)
    }

    /// The subscription with the given id (compared case-insensitively), or
    /// the first subscription when `subscription_id` is `None` or blank.
    pub fn select(&self, subscription_id: Option<&str>) -> Result<&PublishedSubscription> {
        match subscription_id.map(str::trim).filter(|id| !id.is_empty()) {
            Some(id) => self
                .subscriptions
                .iter()
                .find(|s| s.id.eq_ignore_ascii_case(id))
                .ok_or_else(|| CredentialsError::NoSubscription {
                    id: Some(id.to_owned()),
                }),
            None => self
                .subscriptions
                .first()
                .ok_or(CredentialsError::NoSubscription { id: None }),
        }
    }
}

fn read_subscription(
    element: &BytesStart<'_>,
    profile: &mut Profile,
) -> Result<PublishedSubscription> {
    let attrs = attributes(element)?;
    let id = attr(&attrs, "Id")
        .ok_or_else(|| {
            CredentialsError::PublishSettings("a <Subscription> has no Id attribute".to_owned())
        })?
        .to_owned();
    let name = attr(&attrs, "Name").unwrap_or_default().to_owned();
    let service_management_url = attr(&attrs, "ServiceManagementUrl")
        .map(str::to_owned)
        .or_else(|| profile.url.clone());
    let cert_error = |e: CredentialsError| {
        CredentialsError::PublishSettings(format!(
            "subscription {id}: cannot load the ManagementCertificate: {e}"
        ))
    };
    let credentials = match attr(&attrs, "ManagementCertificate") {
        Some(encoded) => decode_management_certificate(encoded).map_err(cert_error)?,
        None => match (&profile.credentials, &profile.certificate) {
            (Some(credentials), _) => credentials.clone(),
            (None, Some(encoded)) => {
                let credentials = decode_management_certificate(encoded).map_err(cert_error)?;
                profile.credentials = Some(credentials.clone());
                credentials
            }
            (None, None) => {
                return Err(CredentialsError::PublishSettings(format!(
                    "subscription {id} has no ManagementCertificate"
                )))
            }
        },
    };
    Ok(PublishedSubscription {
        id,
        name,
        service_management_url,
        credentials,
    })
}

/// Base64 PKCS#12 with an empty password; whitespace is ignored.
fn decode_management_certificate(encoded: &str) -> Result<Credentials> {
    let compact: String = encoded
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let der = LENIENT_BASE64
        .decode(compact.as_bytes())
        .map_err(|_| CredentialsError::Pkcs12("the certificate is not valid base64".to_owned()))?;
    Credentials::from_pkcs12(&der, "")
}

/// The attributes of an element as (local name, unescaped value) pairs.
fn attributes(element: &BytesStart<'_>) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for attribute in element.attributes() {
        let attribute = attribute
            .map_err(|e| CredentialsError::PublishSettings(format!("malformed attribute: {e}")))?;
        let key = String::from_utf8_lossy(attribute.key.local_name().as_ref()).into_owned();
        let value = attribute.unescape_value().map_err(|_| {
            CredentialsError::PublishSettings(format!(
                "attribute {key} has an invalid character or entity reference"
            ))
        })?;
        out.push((key, value.into_owned()));
    }
    Ok(out)
}

/// A non-blank attribute value, trimmed; names compare case-insensitively.
fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

fn xml_error(error: &quick_xml::Error, position: u64) -> CredentialsError {
    let detail = match error {
        quick_xml::Error::Syntax(e) => e.to_string(),
        quick_xml::Error::IllFormed(e) => e.to_string(),
        quick_xml::Error::InvalidAttr(e) => e.to_string(),
        _ => "malformed document".to_owned(),
    };
    CredentialsError::PublishSettings(format!("malformed XML near byte {position}: {detail}"))
}

/// The document as text: UTF-8 (optional BOM) or UTF-16 with a BOM.
fn xml_text(bytes: &[u8]) -> Result<Cow<'_, str>> {
    let not_text = || {
        CredentialsError::PublishSettings("the document is not valid UTF-8 or UTF-16".to_owned())
    };
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest)
            .map(Cow::Borrowed)
            .map_err(|_| not_text());
    }
    let utf16: Option<fn([u8; 2]) -> u16> = if bytes.starts_with(b"\xFF\xFE") {
        Some(u16::from_le_bytes)
    } else if bytes.starts_with(b"\xFE\xFF") {
        Some(u16::from_be_bytes)
    } else {
        None
    };
    match utf16 {
        Some(unit) => {
            let rest = bytes.get(2..).unwrap_or_default();
            if rest.len() % 2 != 0 {
                return Err(not_text());
            }
            let units: Vec<u16> = rest
                .chunks_exact(2)
                .filter_map(|pair| <[u8; 2]>::try_from(pair).ok())
                .map(unit)
                .collect();
            String::from_utf16(&units)
                .map(Cow::Owned)
                .map_err(|_| not_text())
        }
        None => std::str::from_utf8(bytes)
            .map(Cow::Borrowed)
            .map_err(|_| not_text()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::process::Command;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use base64::engine::general_purpose::STANDARD;
    use p12_keystore::{
        EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, PrivateKeyChain,
    };

    const PASSWORD: &str = "s3cr3t-Pa55word!";

    struct Generated {
        cert_pem: String,
        key_pem: String,
        cert_der: Vec<u8>,
        key_der: Vec<u8>,
    }

    fn generate(name: &str) -> Generated {
        let rcgen::CertifiedKey { cert, signing_key } =
            rcgen::generate_simple_self_signed(vec![name.to_owned()]).unwrap();
        Generated {
            cert_pem: cert.pem(),
            key_pem: signing_key.serialize_pem(),
            cert_der: cert.der().to_vec(),
            key_der: signing_key.serialize_der(),
        }
    }

    /// A CA and a leaf it signed: (ca cert PEM, leaf cert PEM, leaf key PEM, leaf DER).
    fn generate_chain() -> (String, String, String, Vec<u8>) {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Test CA");
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, &ca_key);
        let leaf_key = KeyPair::generate().unwrap();
        let mut leaf_params = CertificateParams::new(vec!["client.test".to_owned()]).unwrap();
        leaf_params
            .distinguished_name
            .push(DnType::CommonName, "Test client");
        let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
        (
            ca_cert.pem(),
            leaf.pem(),
            leaf_key.serialize_pem(),
            leaf.der().to_vec(),
        )
    }

    fn sha1_upper(der: &[u8]) -> String {
        use sha1::{Digest as _, Sha1};
        hex::encode_upper(Sha1::digest(der))
    }

    fn write_pfx(g: &Generated, password: &str, algorithm: EncryptionAlgorithm) -> Vec<u8> {
        let key = p12_keystore::PrivateKey::from_der(&g.key_der).unwrap();
        let cert = p12_keystore::Certificate::from_der(&g.cert_der).unwrap();
        let mut store = KeyStore::new();
        store.add_entry(
            "management",
            KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new("key-1", key, [cert])),
        );
        store
            .writer(password)
            .encryption_algorithm(algorithm)
            .mac_algorithm(MacAlgorithm::HmacSha1)
            .encryption_iterations(2048)
            .mac_iterations(2048)
            .write()
            .unwrap()
    }

    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> Self {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let path = std::env::temp_dir().join(format!(
                "asm-credentials-{tag}-{}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::SeqCst)
            ));
            std::fs::create_dir_all(&path).unwrap();
            Self(path)
        }

        fn write(&self, name: &str, data: impl AsRef<[u8]>) -> PathBuf {
            let path = self.0.join(name);
            std::fs::write(&path, data).unwrap();
            path
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// Runs the `openssl` CLI in `dir`; `None` if openssl is not installed.
    fn openssl(dir: &Path, args: &[&str]) -> Option<std::process::Output> {
        Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .ok()
    }

    fn openssl_ok(dir: &Path, args: &[&str]) -> bool {
        match openssl(dir, args) {
            Some(out) if out.status.success() => true,
            Some(out) => panic!(
                "openssl {args:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
            None => false,
        }
    }

    fn openssl_present() -> bool {
        Command::new("openssl")
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    fn check_same_identity(creds: &Credentials, g: &Generated) {
        assert_eq!(creds.certificate_der(), g.cert_der.as_slice());
        assert_eq!(creds.thumbprint(), sha1_upper(&g.cert_der));
        assert_eq!(creds.cert_chain().len(), 1);
        assert_eq!(creds.private_key().secret_der(), g.key_der.as_slice());
    }

    #[test]
    fn pem_combined_in_any_order() {
        let g = generate("combined.test");
        let creds =
            Credentials::from_pem(format!("{}{}", g.cert_pem, g.key_pem).as_bytes()).unwrap();
        check_same_identity(&creds, &g);
        let creds =
            Credentials::from_pem(format!("{}\n{}", g.key_pem, g.cert_pem).as_bytes()).unwrap();
        check_same_identity(&creds, &g);
        // CRLF line endings and surrounding text are fine.
        let crlf = format!("Bag Attributes\r\n{}{}", g.cert_pem, g.key_pem).replace('\n', "\r\n");
        check_same_identity(&Credentials::from_pem(crlf.as_bytes()).unwrap(), &g);
    }

    #[test]
    fn pem_split_and_files() {
        let g = generate("split.test");
        let creds =
            Credentials::from_pem_parts(g.cert_pem.as_bytes(), g.key_pem.as_bytes()).unwrap();
        check_same_identity(&creds, &g);

        let dir = TempDir::new("pem");
        let cert = dir.write("cert.pem", &g.cert_pem);
        let key = dir.write("key.pem", &g.key_pem);
        let both = dir.write("both.pem", format!("{}{}", g.cert_pem, g.key_pem));
        check_same_identity(&Credentials::from_pem_files(&cert, &key).unwrap(), &g);
        check_same_identity(&Credentials::from_pem_file(&both).unwrap(), &g);

        let missing = dir.0.join("missing.pem");
        match Credentials::from_pem_file(&missing) {
            Err(CredentialsError::Io { path, .. }) => assert_eq!(path, missing),
            other => panic!("expected Io error, got {other:?}"),
        }
        assert!(matches!(
            Credentials::from_pem_files(&cert, &missing),
            Err(CredentialsError::Io { .. })
        ));
    }

    #[test]
    fn pem_chain_puts_the_leaf_first() {
        let (ca_pem, leaf_pem, key_pem, leaf_der) = generate_chain();
        let creds =
            Credentials::from_pem(format!("{ca_pem}{key_pem}{leaf_pem}").as_bytes()).unwrap();
        assert_eq!(creds.certificate_der(), leaf_der.as_slice());
        assert_eq!(creds.cert_chain().len(), 2);
        assert_eq!(creds.thumbprint(), sha1_upper(&leaf_der));
        // The CA parses as an extra root.
        let roots = parse_ca_pem(ca_pem.as_bytes()).unwrap();
        assert_eq!(roots.len(), 1);
        client_tls_config(Some(&creds), &roots).unwrap();
    }

    #[test]
    fn pem_errors() {
        let a = generate("a.test");
        let b = generate("b.test");
        assert!(matches!(
            Credentials::from_pem(format!("{}{}", a.cert_pem, b.key_pem).as_bytes()),
            Err(CredentialsError::KeyMismatch)
        ));
        assert!(matches!(
            Credentials::from_pem_parts(a.cert_pem.as_bytes(), b.key_pem.as_bytes()),
            Err(CredentialsError::KeyMismatch)
        ));
        assert!(matches!(
            Credentials::from_pem(a.cert_pem.as_bytes()),
            Err(CredentialsError::NoPrivateKey)
        ));
        assert!(matches!(
            Credentials::from_pem(a.key_pem.as_bytes()),
            Err(CredentialsError::NoCertificate)
        ));
        assert!(matches!(
            Credentials::from_pem(format!("{}{}{}", a.cert_pem, a.key_pem, b.key_pem).as_bytes()),
            Err(CredentialsError::Pem(_))
        ));
        let encrypted =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
        match Credentials::from_pem(format!("{}{encrypted}", a.cert_pem).as_bytes()) {
            Err(CredentialsError::Pem(message)) => assert!(message.contains("encrypted")),
            other => panic!("expected Pem error, got {other:?}"),
        }
        // A key section that is not a key.
        let bogus_key =
            "-----BEGIN PRIVATE KEY-----\nAAECAwQFBgcICQ==\n-----END PRIVATE KEY-----\n";
        assert!(matches!(
            Credentials::from_pem(format!("{}{bogus_key}", a.cert_pem).as_bytes()),
            Err(CredentialsError::Pem(_))
        ));
        // A certificate section that is not a certificate.
        let bogus_cert =
            "-----BEGIN CERTIFICATE-----\nAAECAwQFBgcICQ==\n-----END CERTIFICATE-----\n";
        assert!(matches!(
            Credentials::from_pem(format!("{bogus_cert}{}", a.key_pem).as_bytes()),
            Err(CredentialsError::Pem(_))
        ));
        // Truncated section: the error does not quote the key.
        let truncated = &a.key_pem[..a.key_pem.len() - 30];
        let error =
            Credentials::from_pem(format!("{}{truncated}", a.cert_pem).as_bytes()).unwrap_err();
        assert!(matches!(error, CredentialsError::Pem(_)), "{error:?}");
        let body: String = a
            .key_pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect();
        assert!(!format!("{error} {error:?}").contains(&body[..16]));
        assert!(matches!(
            parse_ca_pem(a.key_pem.as_bytes()),
            Err(CredentialsError::NoCertificate)
        ));
        assert!(matches!(
            parse_ca_pem(bogus_cert.as_bytes()),
            Err(CredentialsError::Pem(_))
        ));
    }

    #[test]
    fn from_der_matches_pem() {
        let g = generate("der.test");
        let creds = Credentials::from_der(
            vec![CertificateDer::from(g.cert_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(g.key_der.clone())),
        )
        .unwrap();
        check_same_identity(&creds, &g);
    }

    #[test]
    fn pkcs12_round_trips_with_every_algorithm() {
        let g = generate("pfx.test");
        for algorithm in [
            EncryptionAlgorithm::PbeWithHmacSha256AndAes256,
            EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc,
            EncryptionAlgorithm::PbeWithShaAnd40BitRc4Cbc,
        ] {
            let pfx = write_pfx(&g, PASSWORD, algorithm);
            let creds = Credentials::from_pkcs12(&pfx, PASSWORD).unwrap();
            check_same_identity(&creds, &g);
            let empty = write_pfx(&g, "", algorithm);
            check_same_identity(&Credentials::from_pkcs12(&empty, "").unwrap(), &g);
        }
        let dir = TempDir::new("pfx");
        let path = dir.write(
            "cert.pfx",
            write_pfx(
                &g,
                PASSWORD,
                EncryptionAlgorithm::PbeWithHmacSha256AndAes256,
            ),
        );
        check_same_identity(&Credentials::from_pkcs12_file(&path, PASSWORD).unwrap(), &g);
        assert!(matches!(
            Credentials::from_pkcs12_file(dir.0.join("none.pfx"), PASSWORD),
            Err(CredentialsError::Io { .. })
        ));
    }

    #[test]
    fn pkcs12_wrong_password_does_not_leak_it() {
        let g = generate("wrong.test");
        let pfx = write_pfx(
            &g,
            PASSWORD,
            EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc,
        );
        let wrong = "not-the-Right-One-42";
        for password in [wrong, ""] {
            let error = Credentials::from_pkcs12(&pfx, password).unwrap_err();
            assert!(matches!(error, CredentialsError::Pkcs12(_)), "{error:?}");
            let text = format!("{error} {error:?}");
            assert!(text.contains("password"), "{text}");
            assert!(!text.contains(wrong) && !text.contains(PASSWORD), "{text}");
        }
    }

    /// PFX files written by the `openssl` CLI: legacy RC2-40/3DES (as Windows
    /// and the Azure portal produce), modern AES, RSA keys, and PKCS#1/SEC1
    /// PEM keys. Skipped, with a note on stderr, only when `openssl` is not
    /// installed.
    #[test]
    fn openssl_interop() {
        if !openssl_present() {
            eprintln!("openssl CLI not found: skipping openssl interop checks");
            return;
        }
        let dir = TempDir::new("openssl");
        let d = dir.0.as_path();
        // RSA-2048 self-signed, like Azure management certificates.
        assert!(openssl_ok(
            d,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "rsa-key.pem",
                "-out",
                "rsa-cert.pem",
                "-subj",
                "/CN=Azure management test",
                "-days",
                "2",
            ]
        ));
        assert!(openssl_ok(
            d,
            &[
                "rsa",
                "-in",
                "rsa-key.pem",
                "-traditional",
                "-out",
                "rsa-pkcs1.pem"
            ]
        ));
        let cert_pem = std::fs::read(d.join("rsa-cert.pem")).unwrap();
        let pkcs1 = std::fs::read(d.join("rsa-pkcs1.pem")).unwrap();
        assert!(String::from_utf8_lossy(&pkcs1).contains("BEGIN RSA PRIVATE KEY"));
        let rsa =
            Credentials::from_pem_files(d.join("rsa-cert.pem"), d.join("rsa-key.pem")).unwrap();
        let rsa_pkcs1 = Credentials::from_pem_parts(&cert_pem, &pkcs1).unwrap();
        assert_eq!(rsa.thumbprint(), rsa_pkcs1.thumbprint());
        assert!(matches!(rsa_pkcs1.private_key(), PrivateKeyDer::Pkcs1(_)));
        client_tls_config(Some(&rsa_pkcs1), &[]).unwrap();

        // The thumbprint is the one openssl shows.
        let out = openssl(
            d,
            &[
                "x509",
                "-in",
                "rsa-cert.pem",
                "-noout",
                "-fingerprint",
                "-sha1",
            ],
        )
        .unwrap();
        let fingerprint = String::from_utf8_lossy(&out.stdout)
            .trim()
            .rsplit('=')
            .next()
            .unwrap()
            .replace(':', "");
        assert_eq!(rsa.thumbprint(), fingerprint);

        // SEC1 EC key.
        let g = generate("sec1.test");
        dir.write("ec-key.pem", &g.key_pem);
        assert!(openssl_ok(
            d,
            &["ec", "-in", "ec-key.pem", "-out", "ec-sec1.pem"]
        ));
        let sec1 = std::fs::read(d.join("ec-sec1.pem")).unwrap();
        assert!(String::from_utf8_lossy(&sec1).contains("BEGIN EC PRIVATE KEY"));
        let creds = Credentials::from_pem_parts(g.cert_pem.as_bytes(), &sec1).unwrap();
        assert_eq!(creds.thumbprint(), sha1_upper(&g.cert_der));
        assert!(matches!(creds.private_key(), PrivateKeyDer::Sec1(_)));

        let pass = format!("pass:{PASSWORD}");
        let export = |out: &str, passout: &str, extra: &[&str]| -> bool {
            let mut args = vec![
                "pkcs12",
                "-export",
                "-in",
                "rsa-cert.pem",
                "-inkey",
                "rsa-key.pem",
                "-out",
                out,
                "-passout",
                passout,
            ];
            args.extend_from_slice(extra);
            match openssl(d, &args) {
                Some(o) if o.status.success() => true,
                Some(o) => {
                    eprintln!("openssl {args:?}: {}", String::from_utf8_lossy(&o.stderr));
                    false
                }
                None => false,
            }
        };
        // Explicit 3DES for key and certificates, SHA-1 MAC (default provider).
        assert!(export(
            "3des.pfx",
            &pass,
            &[
                "-keypbe",
                "PBE-SHA1-3DES",
                "-certpbe",
                "PBE-SHA1-3DES",
                "-macalg",
                "sha1"
            ]
        ));
        // `-legacy`: RC2-40 certificates, 3DES key. Needs OpenSSL's legacy
        // provider; where the build lacks it, fall back to naming RC2 only.
        let legacy = export("legacy.pfx", &pass, &["-legacy"])
            || export(
                "legacy.pfx",
                &pass,
                &[
                    "-keypbe",
                    "PBE-SHA1-3DES",
                    "-certpbe",
                    "PBE-SHA1-RC2-40",
                    "-macalg",
                    "sha1",
                ],
            );
        // Modern default: PBES2 / PBKDF2-HMAC-SHA256 / AES-256-CBC.
        assert!(export("aes.pfx", &pass, &[]));
        // Empty password, as embedded in .publishsettings.
        assert!(export(
            "empty.pfx",
            "pass:",
            &[
                "-keypbe",
                "PBE-SHA1-3DES",
                "-certpbe",
                "PBE-SHA1-3DES",
                "-macalg",
                "sha1"
            ]
        ));

        let mut files = vec![
            ("3des.pfx", PASSWORD),
            ("aes.pfx", PASSWORD),
            ("empty.pfx", ""),
        ];
        if legacy {
            files.push(("legacy.pfx", PASSWORD));
        } else {
            eprintln!("openssl cannot write RC2-40 here (no legacy provider): RC2 checked via p12-keystore only");
        }
        for (file, password) in files {
            let creds = Credentials::from_pkcs12_file(d.join(file), password)
                .unwrap_or_else(|e| panic!("{file}: {e}"));
            assert_eq!(creds.thumbprint(), rsa.thumbprint(), "{file}");
            assert_eq!(
                creds.private_key().secret_der(),
                rsa.private_key().secret_der(),
                "{file}"
            );
            assert!(matches!(
                Credentials::from_pkcs12_file(d.join(file), "wrong"),
                Err(CredentialsError::Pkcs12(_))
            ));
        }

        // A .publishsettings file embedding the openssl-made empty-password PFX.
        let pfx = std::fs::read(d.join("empty.pfx")).unwrap();
        let xml = publish_settings_v2(&[("11111111-2222-3333-4444-555555555555", "Rsa", &pfx)]);
        let settings = PublishSettings::parse(xml.as_bytes()).unwrap();
        assert_eq!(
            settings.select(None).unwrap().credentials.thumbprint(),
            rsa.thumbprint()
        );
    }

    /// Base64 wrapped at 76 columns with CRLF, as the portal wrote it.
    fn wrapped_base64(der: &[u8]) -> String {
        let encoded = STANDARD.encode(der);
        encoded
            .as_bytes()
            .chunks(76)
            .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
            .collect::<Vec<_>>()
            .join("\r\n          ")
    }

    fn publish_settings_v1(profile_pfx: &[u8], subscriptions: &[(&str, &str)]) -> String {
        let subs: String = subscriptions
            .iter()
            .map(|(id, name)| {
                format!("      <Subscription\n        Id=\"{id}\"\n        Name=\"{name}\" />\n")
            })
            .collect();
        format!(
            "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<PublishData>\n  \
             <PublishProfile\n    PublishMethod=\"AzureServiceManagementAPI\"\n    \
             Url=\"https://management.core.windows.net/\"\n    \
             ManagementCertificate=\"{}\">\n{subs}  </PublishProfile>\n</PublishData>\n",
            wrapped_base64(profile_pfx)
        )
    }

    fn publish_settings_v2(subscriptions: &[(&str, &str, &[u8])]) -> String {
        let subs: String = subscriptions
            .iter()
            .map(|(id, name, pfx)| {
                format!(
                    "    <Subscription\n      ServiceManagementUrl=\"https://management.core.windows.net\"\n      \
                     Id=\"{id}\"\n      Name=\"{name}\"\n      ManagementCertificate=\"{}\" />\n",
                    STANDARD.encode(pfx)
                )
            })
            .collect();
        format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<PublishData>\n  \
             <PublishProfile SchemaVersion=\"2.0\" PublishMethod=\"AzureServiceManagementAPI\">\n\
             {subs}  </PublishProfile>\n</PublishData>"
        )
    }

    #[test]
    fn publish_settings_schema_1() {
        let g = generate("ps1.test");
        let pfx = write_pfx(&g, "", EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc);
        let xml = publish_settings_v1(
            &pfx,
            &[
                ("AAAAAAAA-1111-2222-3333-444444444444", "First &amp; one"),
                ("bbbbbbbb-1111-2222-3333-444444444444", "Second"),
            ],
        );
        let settings = PublishSettings::parse(xml.as_bytes()).unwrap();
        assert_eq!(settings.subscriptions.len(), 2);
        let first = settings.select(None).unwrap();
        assert_eq!(first.id, "AAAAAAAA-1111-2222-3333-444444444444");
        assert_eq!(first.name, "First & one");
        assert_eq!(
            first.service_management_url.as_deref(),
            Some("https://management.core.windows.net/")
        );
        check_same_identity(&first.credentials, &g);
        let second = settings
            .select(Some("BBBBBBBB-1111-2222-3333-444444444444"))
            .unwrap();
        assert_eq!(second.name, "Second");
        assert_eq!(
            second.credentials.thumbprint(),
            first.credentials.thumbprint()
        );
        assert_eq!(
            settings
                .select(Some("aaaaaaaa-1111-2222-3333-444444444444"))
                .unwrap()
                .name,
            "First & one"
        );
        match settings.select(Some("cccccccc-0000-0000-0000-000000000000")) {
            Err(CredentialsError::NoSubscription { id }) => {
                assert_eq!(id.as_deref(), Some("cccccccc-0000-0000-0000-000000000000"))
            }
            other => panic!("expected NoSubscription, got {other:?}"),
        }

        let dir = TempDir::new("ps");
        let path = dir.write("my.publishsettings", &xml);
        let from_file = PublishSettings::from_file(&path).unwrap();
        assert_eq!(from_file.subscriptions.len(), 2);
        assert!(matches!(
            PublishSettings::from_file(dir.0.join("nope.publishsettings")),
            Err(CredentialsError::Io { .. })
        ));

        // UTF-16 with BOM, as some Windows tools re-save it.
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in xml.trim_start_matches('\u{feff}').encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        assert_eq!(
            PublishSettings::parse(&utf16).unwrap().subscriptions.len(),
            2
        );
    }

    #[test]
    fn publish_settings_schema_2_and_other_profiles() {
        let a = generate("ps2a.test");
        let b = generate("ps2b.test");
        let pfx_a = write_pfx(&a, "", EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc);
        let pfx_b = write_pfx(&b, "", EncryptionAlgorithm::PbeWithHmacSha256AndAes256);
        let xml = publish_settings_v2(&[
            ("aaaaaaaa-0000-0000-0000-000000000001", "A", &pfx_a),
            ("bbbbbbbb-0000-0000-0000-000000000002", "B", &pfx_b),
        ]);
        // A web-deploy profile before it, with unknown attributes, is ignored.
        let xml = xml.replacen(
            "<PublishData>",
            "<PublishData xmlns:x=\"urn:x\">\n  <PublishProfile PublishMethod=\"MSDeploy\" \
             userPWD=\"hunter2\" x:Extra=\"1\"><Subscription Id=\"ffffffff-0000-0000-0000-000000000000\" \
             Name=\"WebDeploy\" ManagementCertificate=\"@@@\"/><databases/></PublishProfile>",
            1,
        );
        let settings = PublishSettings::parse(xml.as_bytes()).unwrap();
        assert_eq!(settings.subscriptions.len(), 2);
        let first = settings.select(None).unwrap();
        assert_eq!(first.id, "aaaaaaaa-0000-0000-0000-000000000001");
        check_same_identity(&first.credentials, &a);
        assert_eq!(
            first.service_management_url.as_deref(),
            Some("https://management.core.windows.net")
        );
        let second = settings
            .select(Some("  BBBBBBBB-0000-0000-0000-000000000002 "))
            .unwrap();
        check_same_identity(&second.credentials, &b);
        assert_eq!(settings.select(Some("")).unwrap().id, first.id);
        assert!(matches!(
            settings.select(Some("ffffffff-0000-0000-0000-000000000000")),
            Err(CredentialsError::NoSubscription { id: Some(_) })
        ));
        let empty = PublishSettings {
            subscriptions: vec![],
        };
        assert!(matches!(
            empty.select(None),
            Err(CredentialsError::NoSubscription { id: None })
        ));
    }

    #[test]
    fn publish_settings_errors() {
        let g = generate("pserr.test");
        let pfx = write_pfx(&g, "", EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc);
        let good = publish_settings_v2(&[("aaaaaaaa-0000-0000-0000-000000000001", "A", &pfx)]);
        let cases: Vec<String> = vec![
            String::new(),
            "not xml at all".to_owned(),
            "<Other/>".to_owned(),
            "<PublishData>".to_owned(),
            "<PublishData></PublishData>".to_owned(),
            "<PublishData><PublishProfile PublishMethod=\"MSDeploy\"><Subscription Id=\"x\"/></PublishProfile></PublishData>".to_owned(),
            "<PublishData><PublishProfile PublishMethod=\"AzureServiceManagementAPI\"><Subscription Id=\"x\" Name=\"n\"/></PublishProfile></PublishData>".to_owned(),
            "<PublishData><PublishProfile PublishMethod=\"AzureServiceManagementAPI\"><Subscription Name=\"n\" ManagementCertificate=\"AAAA\"/></PublishProfile></PublishData>".to_owned(),
            "<PublishData><PublishProfile PublishMethod=\"AzureServiceManagementAPI\"><Subscription Id=\"x\" ManagementCertificate=\"%%%not base64%%%\"/></PublishProfile></PublishData>".to_owned(),
            "<PublishData><PublishProfile PublishMethod=\"AzureServiceManagementAPI\"><Subscription Id=\"x\" ManagementCertificate=\"AAAAAAAA\"/></PublishProfile></PublishData>".to_owned(),
            "<PublishData><PublishProfile PublishMethod=\"AzureServiceManagementAPI\"><Subscription Id=\"x&bogus;\"/></PublishProfile></PublishData>".to_owned(),
            good.replace("</PublishProfile>", "</PublishProfil>"),
            good[..good.len() / 2].to_owned(),
        ];
        for case in &cases {
            match PublishSettings::parse(case.as_bytes()) {
                Err(CredentialsError::PublishSettings(message)) => {
                    assert!(!message.contains(&STANDARD.encode(&pfx)[..20]), "{message}")
                }
                other => panic!("{case:?}: expected PublishSettings error, got {other:?}"),
            }
        }
        assert!(PublishSettings::parse(&[0xFF, 0xFE, 0x00]).is_err());
        assert!(PublishSettings::parse(&[0xC3, 0x28]).is_err());
        assert!(PublishSettings::parse(good.as_bytes()).is_ok());
    }

    #[test]
    fn thumbprint_format() {
        let g = generate("thumb.test");
        let creds =
            Credentials::from_pem(format!("{}{}", g.cert_pem, g.key_pem).as_bytes()).unwrap();
        let thumbprint = creds.thumbprint();
        assert_eq!(thumbprint.len(), 40);
        assert!(thumbprint
            .chars()
            .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c)));
        assert_eq!(thumbprint, sha1_upper(creds.certificate_der()));
    }

    #[test]
    fn debug_output_is_redacted() {
        let g = generate("debug.test");
        let pfx = write_pfx(&g, "", EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc);
        let creds = Credentials::from_pkcs12(
            &write_pfx(
                &g,
                PASSWORD,
                EncryptionAlgorithm::PbeWithHmacSha256AndAes256,
            ),
            PASSWORD,
        )
        .unwrap();
        let settings = PublishSettings::parse(
            publish_settings_v2(&[("aaaaaaaa-0000-0000-0000-000000000001", "A", &pfx)]).as_bytes(),
        )
        .unwrap();
        let key_b64 = STANDARD.encode(&g.key_der);
        let key_hex = hex::encode(&g.key_der);
        // The last 32 bytes of a PKCS#8 EC key hold the public point; the
        // secret scalar sits in the first part.
        let secret_bytes = format!("{:?}", &g.key_der[..48]);
        for text in [
            format!("{creds:?}"),
            format!("{creds:#?}"),
            format!("{settings:?}"),
            format!("{:?}", settings.subscriptions[0]),
        ] {
            assert!(
                text.contains(creds.thumbprint())
                    || text.contains(settings.subscriptions[0].credentials.thumbprint())
            );
            assert!(text.contains("<redacted>"), "{text}");
            assert!(!text.contains(&key_b64[..24]), "{text}");
            assert!(!text.to_lowercase().contains(&key_hex[..32]), "{text}");
            assert!(!text.contains(&secret_bytes), "{text}");
            assert!(!text.contains(PASSWORD), "{text}");
            assert!(!text.contains(&STANDARD.encode(&pfx)[..24]), "{text}");
        }
    }

    #[test]
    fn tls_config_with_and_without_client_auth() {
        let g = generate("tls.test");
        let creds =
            Credentials::from_pem(format!("{}{}", g.cert_pem, g.key_pem).as_bytes()).unwrap();
        let with = client_tls_config(Some(&creds), &[]).unwrap();
        assert!(with.client_auth_cert_resolver.has_certs());
        assert_eq!(with.alpn_protocols, vec![b"http/1.1".to_vec()]);
        let without = client_tls_config(None, &[]).unwrap();
        assert!(!without.client_auth_cert_resolver.has_certs());
        assert_eq!(without.alpn_protocols, vec![b"http/1.1".to_vec()]);

        let roots =
            parse_ca_pem(format!("{}{}", g.cert_pem, generate("tls2.test").cert_pem).as_bytes())
                .unwrap();
        assert_eq!(roots.len(), 2);
        client_tls_config(Some(&creds), &roots).unwrap();
        let junk = [CertificateDer::from(vec![1u8, 2, 3])];
        assert!(matches!(
            client_tls_config(None, &junk),
            Err(CredentialsError::Tls(_))
        ));
    }

    #[test]
    fn garbage_never_panics() {
        let g = generate("garbage.test");
        let pfx = write_pfx(
            &g,
            PASSWORD,
            EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc,
        );
        let mut inputs: Vec<Vec<u8>> = vec![
            vec![],
            vec![0],
            vec![0x30],
            vec![0x30, 0x80],
            vec![0x30, 0x82, 0xFF, 0xFF],
            b"-----BEGIN CERTIFICATE-----".to_vec(),
            b"-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----\n".to_vec(),
            b"-----BEGIN PRIVATE KEY\n".to_vec(),
            (0u8..=255).collect(),
            vec![0xFF; 4096],
        ];
        for cut in [1, 2, 10, 50, pfx.len() / 2, pfx.len() - 1] {
            inputs.push(pfx[..cut].to_vec());
        }
        let mut state = 0x1234_5678_u32;
        for round in 0..64 {
            let mut mutated = pfx.clone();
            for _ in 0..=(round % 4) {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let index = state as usize % mutated.len();
                mutated[index] ^= (state >> 24) as u8 | 1;
            }
            inputs.push(mutated);
        }
        for input in &inputs {
            assert!(Credentials::from_pem(input).is_err());
            assert!(Credentials::from_pem_parts(input, input).is_err());
            let _ = Credentials::from_pkcs12(input, PASSWORD);
            let _ = Credentials::from_pkcs12(input, "");
            assert!(PublishSettings::parse(input).is_err());
            let _ = parse_ca_pem(input);
        }
        assert!(Credentials::from_pkcs12(&[], "").is_err());
        assert!(Credentials::from_pkcs12(b"garbage", "x").is_err());
    }
}
