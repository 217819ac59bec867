//! TLS to the databases (rustls): the URL's `sslmode` / `ssl-mode` and CA
//! file, a rustls connector for tokio-postgres, and the `mysql_async` options.
//!
//! | PostgreSQL `sslmode` | MySQL `ssl-mode` | encrypted | certificate checked |
//! | --- | --- | --- | --- |
//! | `disable` (default) | `DISABLED` (default) | no | – |
//! | `prefer` | `PREFERRED` | if the server offers it | no |
//! | `require` | `REQUIRED` | always, or no connection | no (against the CA file if one is given) |
//! | `verify-ca` | `VERIFY_CA` | always | signed by the CA file (else the web roots) |
//! | `verify-full` | `VERIFY_IDENTITY` | always | signed, and valid for the host name |
//!
//! Where TLS is required (`require` and stricter) the password is sent only
//! inside the TLS session: a server that does not offer TLS is refused before.
use plugin_api::PluginError;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How much TLS a connection asks for (see the module table).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TlsMode {
    #[default]
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// The URL's TLS settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tls {
    pub mode: TlsMode,
    /// PEM file of the CA(s) the server's certificate must be signed by.
    pub ca_file: Option<PathBuf>,
}

impl TlsMode {
    /// The PostgreSQL spelling (`verify-full`).
    pub fn pg_name(self) -> &'static str {
        match self {
            TlsMode::Disable => "disable",
            TlsMode::Prefer => "prefer",
            TlsMode::Require => "require",
            TlsMode::VerifyCa => "verify-ca",
            TlsMode::VerifyFull => "verify-full",
        }
    }

    /// The MySQL spelling (`VERIFY_IDENTITY`).
    pub fn mysql_name(self) -> &'static str {
        match self {
            TlsMode::Disable => "DISABLED",
            TlsMode::Prefer => "PREFERRED",
            TlsMode::Require => "REQUIRED",
            TlsMode::VerifyCa => "VERIFY_CA",
            TlsMode::VerifyFull => "VERIFY_IDENTITY",
        }
    }

    fn parse(value: &str, postgres: bool) -> Result<Self, String> {
        let all = [TlsMode::Disable, TlsMode::Prefer, TlsMode::Require, TlsMode::VerifyCa, TlsMode::VerifyFull];
        let found = all.into_iter().find(|m| {
            if postgres {
                m.pg_name() == value
            } else {
                m.mysql_name().eq_ignore_ascii_case(value)
            }
        });
        found.ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|m| if postgres { m.pg_name() } else { m.mysql_name() }).collect();
            let shown: String = value.chars().take(20).collect();
            format!("{} `{shown}`: use {}", if postgres { "sslmode" } else { "ssl-mode" }, names.join(", "))
        })
    }
}

impl Tls {
    /// Reads the query string of a database URL (`sslmode=verify-full&sslrootcert=/etc/ca.pem`,
    /// `ssl-mode=VERIFY_IDENTITY&ssl-ca=/etc/ca.pem`). Values are percent-decoded.
    pub(crate) fn from_query(query: &str, postgres: bool) -> Result<Tls, String> {
        let (mode_key, ca_key, other_mode, other_ca) = if postgres {
            ("sslmode", "sslrootcert", "ssl-mode", "ssl-ca")
        } else {
            ("ssl-mode", "ssl-ca", "sslmode", "sslrootcert")
        };
        let mut tls = Tls::default();
        let mut mode_given = false;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let v = crate::pct_decode(v)?;
            if k == mode_key {
                tls.mode = TlsMode::parse(&v, postgres)?;
                mode_given = true;
            } else if k == ca_key {
                if v.is_empty() {
                    return Err(format!("{ca_key} is empty"));
                }
                tls.ca_file = Some(PathBuf::from(v));
            } else if k == other_mode || k == other_ca {
                let right = if k == other_mode { mode_key } else { ca_key };
                return Err(format!("`{k}` is for the other engine; this URL takes `{right}`"));
            } else {
                let shown: String = k.chars().take(30).collect();
                return Err(format!("unknown database URL parameter `{shown}` (known: {mode_key}, {ca_key})"));
            }
        }
        if tls.ca_file.is_some() {
            if !mode_given {
                tls.mode = TlsMode::VerifyFull;
            } else if matches!(tls.mode, TlsMode::Disable | TlsMode::Prefer) {
                return Err(format!(
                    "{ca_key} needs {mode_key}={}, {} or {}",
                    pick(TlsMode::Require, postgres),
                    pick(TlsMode::VerifyCa, postgres),
                    pick(TlsMode::VerifyFull, postgres)
                ));
            }
        }
        Ok(tls)
    }

    /// `?sslmode=verify-full&sslrootcert=…` as written back in a redacted URL (empty when off).
    pub(crate) fn query(&self, postgres: bool) -> String {
        if self.mode == TlsMode::Disable {
            return String::new();
        }
        let (mk, ck) = if postgres { ("sslmode", "sslrootcert") } else { ("ssl-mode", "ssl-ca") };
        let mut s = format!("?{mk}={}", pick(self.mode, postgres));
        if let Some(ca) = &self.ca_file {
            s.push_str(&format!("&{ck}={}", ca.display()));
        }
        s
    }

    /// Whether the server's certificate is checked against a CA.
    pub fn verifies(&self) -> bool {
        matches!(self.mode, TlsMode::VerifyCa | TlsMode::VerifyFull) || self.ca_file.is_some()
    }
}

fn pick(m: TlsMode, postgres: bool) -> &'static str {
    if postgres {
        m.pg_name()
    } else {
        m.mysql_name()
    }
}

/// The crypto provider of every TLS connection made here (and the process
/// default `mysql_async` asks for).
pub(crate) fn provider() -> Arc<CryptoProvider> {
    let p = Arc::new(rustls::crypto::ring::default_provider());
    let _ = CryptoProvider::install_default((*p).clone());
    p
}

/// The CA certificates of `file` (PEM). The error names the file.
pub(crate) fn read_ca(file: &Path) -> Result<Vec<CertificateDer<'static>>, PluginError> {
    let bytes = std::fs::read(file)
        .map_err(|e| PluginError::config("database", format!("{}: cannot read the CA file: {e}", file.display())))?;
    let certs: Vec<_> = CertificateDer::pem_slice_iter(&bytes).collect::<Result<_, _>>().map_err(|e| {
        PluginError::config("database", format!("{}: not a PEM certificate file: {e:?}", file.display()))
    })?;
    if certs.is_empty() {
        return Err(PluginError::config("database", format!("{}: no certificate in the CA file", file.display())));
    }
    Ok(certs)
}

/// The roots a certificate is checked against: the CA file if given, else the web roots.
fn roots(tls: &Tls) -> Result<RootCertStore, PluginError> {
    let mut store = RootCertStore::empty();
    match &tls.ca_file {
        Some(f) => {
            for c in read_ca(f)? {
                store.add(c).map_err(|e| {
                    PluginError::config("database", format!("{}: unusable CA certificate: {e}", f.display()))
                })?;
            }
        }
        None => store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    Ok(store)
}

/// Checks the server's certificate as `mode` says.
#[derive(Debug)]
struct Verifier {
    webpki: Option<Arc<WebPkiServerVerifier>>,
    check_name: bool,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(webpki) = &self.webpki else { return Ok(ServerCertVerified::assertion()) };
        match webpki.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            // The chain is checked before the name: a name error means a trusted chain.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

/// The rustls client configuration for `tls` (PostgreSQL).
pub(crate) fn client_config(tls: &Tls) -> Result<Arc<ClientConfig>, PluginError> {
    let provider = provider();
    let webpki = if tls.verifies() {
        let v = WebPkiServerVerifier::builder_with_provider(Arc::new(roots(tls)?), provider.clone())
            .build()
            .map_err(|e| PluginError::config("database", format!("TLS roots: {e}")))?;
        Some(v)
    } else {
        None
    };
    let verifier = Verifier { webpki, check_name: tls.mode == TlsMode::VerifyFull, provider: provider.clone() };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| PluginError::other(format!("TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The `mysql_async` TLS options for `tls` (`None`: no TLS).
pub(crate) fn mysql_ssl_opts(tls: &Tls) -> Result<Option<mysql_async::SslOpts>, PluginError> {
    if tls.mode == TlsMode::Disable {
        return Ok(None);
    }
    provider();
    let mut opts = mysql_async::SslOpts::default();
    if let Some(ca) = &tls.ca_file {
        read_ca(ca)?; // a clear error now rather than a driver's later
        opts = opts.with_root_certs(vec![ca.clone().into()]);
    }
    // VERIFY_CA checks the host name too: mysql_async's way of skipping it does
    // not recognise rustls 0.23's error, and a stricter check is never weaker.
    opts = opts.with_danger_accept_invalid_certs(!tls.verifies());
    Ok(Some(opts))
}

/// A one-line reason for a TLS failure, naming what to fix.
pub(crate) fn explain(reason: &str, postgres: bool) -> String {
    if reason.contains("UnknownIssuer") || reason.contains("unknown issuer") {
        let key = if postgres { "sslrootcert" } else { "ssl-ca" };
        format!("the server's certificate is not signed by a trusted CA (give its CA file with {key}=): {reason}")
    } else if reason.contains("NotValidForName") || reason.contains("not valid for name") {
        format!("the server's certificate is not valid for this host name: {reason}")
    } else {
        reason.to_string()
    }
}

// ---------------------------------------------------------------------------
// tokio-postgres connector

/// A [`tokio_postgres::tls::MakeTlsConnect`] over rustls.
#[derive(Clone)]
pub(crate) struct MakeRustls(pub Arc<ClientConfig>);

pub(crate) struct RustlsConnect {
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
}

/// The TLS stream of one PostgreSQL connection.
pub(crate) struct RustlsStream<S>(tokio_rustls::client::TlsStream<S>);

impl<S> tokio_postgres::tls::MakeTlsConnect<S> for MakeRustls
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type TlsConnect = RustlsConnect;
    type Error = rustls::pki_types::InvalidDnsNameError;

    fn make_tls_connect(&mut self, domain: &str) -> Result<RustlsConnect, Self::Error> {
        let name = ServerName::try_from(domain)?.to_owned();
        Ok(RustlsConnect { config: self.0.clone(), name })
    }
}

impl<S> tokio_postgres::tls::TlsConnect<S> for RustlsConnect
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    type Stream = RustlsStream<S>;
    type Error = std::io::Error;
    type Future = std::pin::Pin<Box<dyn std::future::Future<Output = std::io::Result<RustlsStream<S>>> + Send>>;

    fn connect(self, stream: S) -> Self::Future {
        let connector = tokio_rustls::TlsConnector::from(self.config);
        Box::pin(async move { connector.connect(self.name, stream).await.map(RustlsStream) })
    }
}

impl<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin> tokio_postgres::tls::TlsStream for RustlsStream<S> {
    fn channel_binding(&self) -> tokio_postgres::tls::ChannelBinding {
        tokio_postgres::tls::ChannelBinding::none()
    }
}

impl<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin> tokio::io::AsyncRead for RustlsStream<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for RustlsStream<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_spellings_and_refuses_the_rest() {
        let t = Tls::from_query("sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem", true).unwrap();
        assert_eq!(t, Tls { mode: TlsMode::VerifyFull, ca_file: Some("/etc/ca.pem".into()) });
        assert_eq!(t.query(true), "?sslmode=verify-full&sslrootcert=/etc/ca.pem");
        let t = Tls::from_query("ssl-mode=verify_ca&ssl-ca=/ca.pem", false).unwrap();
        assert_eq!(t.mode, TlsMode::VerifyCa);
        assert_eq!(t.query(false), "?ssl-mode=VERIFY_CA&ssl-ca=/ca.pem");
        assert_eq!(Tls::from_query("sslrootcert=/ca.pem", true).unwrap().mode, TlsMode::VerifyFull);
        assert_eq!(Tls::from_query("", true).unwrap(), Tls::default());
        assert!(Tls::from_query("sslmode=verify_full", true).unwrap_err().contains("use disable, prefer"));
        assert!(Tls::from_query("ssl-mode=REQUIRED", true).unwrap_err().contains("takes `sslmode`"));
        assert!(Tls::from_query("sslmode=require", false).unwrap_err().contains("takes `ssl-mode`"));
        assert!(Tls::from_query("password=x", true).unwrap_err().contains("unknown database URL parameter `password`"));
        assert!(Tls::from_query("sslmode=disable&sslrootcert=/x", true).unwrap_err().contains("sslrootcert needs"));
    }
}
