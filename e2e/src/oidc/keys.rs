//! The issuer's signing key (ES256, made fresh at each start) and the tokens it signs,
//! through `jsonwebtoken`; the JWKS the API server verifies them with.

use anyhow::{Context, Result, anyhow};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use serde::Serialize;
use serde_json::{Value, json};

/// An ES256 key pair with its key ID.
pub struct SigningKey {
    encoding: EncodingKey,
    public: Vec<u8>,
    /// The `kid` of its JWK.
    pub kid: String,
}

impl SigningKey {
    /// A new P-256 key.
    pub fn generate() -> Result<Self> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| anyhow!("cannot make a P-256 key"))?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .map_err(|_| anyhow!("cannot read the P-256 key just made"))?;
        let public = pair.public_key().as_ref().to_vec();
        let kid = URL_SAFE_NO_PAD
            .encode(&ring::digest::digest(&ring::digest::SHA256, &public).as_ref()[..12]);
        Ok(Self {
            encoding: EncodingKey::from_ec_der(pkcs8.as_ref()),
            public,
            kid,
        })
    }

    /// The JSON Web Key Set holding its public key.
    pub fn jwks(&self) -> Value {
        // An uncompressed P-256 point: 0x04, then x and y of 32 bytes each.
        let (x, y) = self.public[1..].split_at(32);
        json!({ "keys": [{
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": self.kid,
            "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
        }]})
    }

    /// Signs `claims` as a JWT.
    pub fn sign(&self, claims: &impl Serialize) -> Result<String> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).context("cannot sign a token")
    }
}
