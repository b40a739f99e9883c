//! The TLS listener's configuration (rustls with aws-lc-rs, the provider already in the tree through
//! sqlx and reqwest): a PEM certificate chain and its private key from `engine.tls_cert_file` and
//! `engine.tls_key_file`. Anything wrong with them stops the start with a message naming the setting
//! and the fix (exit code 3, a configuration error).

use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls;

/// A TLS setting that cannot be used: which one, the file, and why.
#[derive(Debug, thiserror::Error)]
#[error("{key} = {path:?}: {message}")]
pub struct TlsError {
    pub key: &'static str,
    pub path: String,
    pub message: String,
}

fn err(key: &'static str, path: &Path, message: impl Into<String>) -> TlsError {
    TlsError {
        key,
        path: path.display().to_string(),
        message: message.into(),
    }
}

/// Read the certificate chain and key, and build the server configuration (HTTP/1.1 only).
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    const CERT: &str = "engine.tls_cert_file";
    const KEY: &str = "engine.tls_key_file";
    let cert_text = std::fs::read(cert).map_err(|e| {
        err(
            CERT,
            cert,
            format!("cannot read it ({e}); give the path of a PEM certificate chain"),
        )
    })?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_text)
        .collect::<Result<_, _>>()
        .map_err(|e| {
            err(
                CERT,
                cert,
                format!("not a PEM certificate chain ({e}); expected -----BEGIN CERTIFICATE-----"),
            )
        })?;
    if chain.is_empty() {
        return Err(err(
            CERT,
            cert,
            "holds no certificate; expected a PEM file with -----BEGIN CERTIFICATE----- (the \
             server's certificate first, then its intermediates)",
        ));
    }
    let key_text = std::fs::read(key).map_err(|e| {
        err(
            KEY,
            key,
            format!("cannot read it ({e}); give the path of the certificate's PEM private key"),
        )
    })?;
    let private = PrivateKeyDer::from_pem_slice(&key_text).map_err(|e| {
        err(
            KEY,
            key,
            format!(
                "no usable private key in it ({e}); expected a PEM PKCS#8, PKCS#1 (RSA) or SEC1 \
                 (EC) private key"
            ),
        )
    })?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| err(CERT, cert, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|e| {
            err(
                KEY,
                key,
                format!(
                    "does not go with {CERT} ({e}); give the key the certificate was issued for"
                ),
            )
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
