//! RSA keys from primes found in parallel. Almost all of an RSA key's making is the
//! search for its two primes, a random walk of candidates; the browser runs it in
//! several Web Workers at once ([`prime`] in each), takes the first two primes that
//! arrive, and has one worker make the key and its CSR from them
//! ([`key_from_primes`]), which checks them against what FIPS 186-5 (A.1.3) asks of an
//! RSA key's primes: independent random primes of half the modulus each, with the top
//! two bits set (so the modulus has its full length), `p − 1` and `q − 1` coprime with
//! the public exponent 65537, and `|p − q| > 2^(nlen/2 − 100)`.

use num_bigint_dig::{BigUint, RandPrime};
use num_integer::Integer;
use num_traits::{One, Zero};
use rsa::rand_core::OsRng;
use zeroize::Zeroizing;

use crate::KeyAlgorithm;
use crate::keys::{GeneratedKey, KeyError, Subject};

/// The public exponent of every RSA key CertDesk makes.
pub const PUBLIC_EXPONENT: u32 = 65_537;

/// Miller–Rabin rounds a prime from another worker passes again before it is used,
/// besides the Baillie–PSW test `probably_prime` always adds (no composite is known to
/// pass it). The worker that found it already ran 20 rounds; repeating them here would
/// cost as much as a third of an RSA-2048 key's making in WebAssembly.
const CHECK_ROUNDS: usize = 1;

/// The modulus length of an RSA algorithm, in bits.
pub fn modulus_bits(algorithm: KeyAlgorithm) -> Option<usize> {
    match algorithm {
        KeyAlgorithm::Rsa2048 => Some(2048),
        KeyAlgorithm::Rsa3072 => Some(3072),
        KeyAlgorithm::Rsa4096 => Some(4096),
        _ => None,
    }
}

/// A random prime for half of a `modulus_bits` modulus: `modulus_bits / 2` bits with the
/// top two set, and `p − 1` coprime with [`PUBLIC_EXPONENT`]. Lower-case hex, wiped
/// from memory when dropped.
pub fn prime(modulus_bits: usize) -> Zeroizing<String> {
    let exponent = BigUint::from(PUBLIC_EXPONENT);
    loop {
        let candidate = OsRng.gen_prime(modulus_bits / 2);
        if (&candidate - BigUint::one()).gcd(&exponent).is_one() {
            return Zeroizing::new(candidate.to_str_radix(16));
        }
    }
}

fn parse(hex: &str, which: &str) -> Result<BigUint, KeyError> {
    BigUint::parse_bytes(hex.as_bytes(), 16)
        .ok_or_else(|| KeyError::RsaPrimesInvalid(format!("{which} is not a hexadecimal number")))
}

/// Checks `p` and `q` (hex, as [`prime`] writes them) against the standard's rules for
/// an RSA key of `algorithm`.
pub fn check_primes(algorithm: KeyAlgorithm, p: &BigUint, q: &BigUint) -> Result<(), KeyError> {
    let invalid = |why: &str| Err(KeyError::RsaPrimesInvalid(why.to_owned()));
    let Some(bits) = modulus_bits(algorithm) else {
        return invalid("the algorithm is not RSA");
    };
    let half = bits / 2;
    if p.bits() != half || q.bits() != half {
        return invalid("a prime is not half the modulus long");
    }
    let top_two = |n: &BigUint| (n >> (half - 2)) == BigUint::from(3u32);
    if !top_two(p) || !top_two(q) {
        return invalid("a prime does not have its top two bits set");
    }
    let distance = if p > q { p - q } else { q - p };
    if distance.is_zero() || distance.bits() <= half - 100 {
        return invalid("the primes are too close together");
    }
    let exponent = BigUint::from(PUBLIC_EXPONENT);
    for n in [p, q] {
        if !(n - BigUint::one()).gcd(&exponent).is_one() {
            return invalid("p − 1 or q − 1 shares a factor with the public exponent");
        }
        if !num_bigint_dig::prime::probably_prime(n, CHECK_ROUNDS) {
            return invalid("a number is not prime");
        }
    }
    if (p * q).bits() != bits {
        return invalid("the modulus does not have its full length");
    }
    Ok(())
}

/// Makes the RSA key of `algorithm` from two primes found apart and the CSR for
/// `subject` signed with it, after [`check_primes`].
pub fn key_from_primes(
    algorithm: KeyAlgorithm,
    subject: &Subject,
    p_hex: &str,
    q_hex: &str,
) -> Result<GeneratedKey, KeyError> {
    let p = parse(p_hex, "p")?;
    let q = parse(q_hex, "q")?;
    check_primes(algorithm, &p, &q)?;
    let key = rsa::RsaPrivateKey::from_p_q(p, q, BigUint::from(PUBLIC_EXPONENT))
        .map_err(KeyError::RsaGeneration)?;
    key.validate().map_err(KeyError::RsaGeneration)?;
    let (key_pair, der) = crate::keys::rsa_signing_pair(&key)?;
    crate::keys::with_key_pair(algorithm, subject, &key_pair, der)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::traits::PublicKeyParts;

    fn subject() -> Subject {
        Subject {
            username: "minjun".into(),
            groups: vec!["dev-team".into()],
        }
    }

    #[test]
    fn two_primes_found_apart_make_a_sound_key_and_csr() {
        let (p, q) = (prime(2048), prime(2048));
        let key = key_from_primes(KeyAlgorithm::Rsa2048, &subject(), &p, &q).unwrap();
        let info = crate::inspect::inspect_csr(&key.csr_pem).unwrap();
        assert_eq!(info.common_name, "minjun");
        let der = key.private_key.pkcs8_der();
        let rsa_key =
            <rsa::RsaPrivateKey as rsa::pkcs8::DecodePrivateKey>::from_pkcs8_der(der).unwrap();
        assert_eq!(rsa_key.size() * 8, 2048);
        assert_eq!(rsa_key.e(), &rsa::BigUint::from(PUBLIC_EXPONENT));
        // And openssl agrees: p and q prime, n = pq, d and the CRT values consistent.
        let mut openssl = std::process::Command::new("openssl")
            .args(["rsa", "-check", "-noout"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("openssl runs");
        std::io::Write::write_all(
            openssl.stdin.as_mut().unwrap(),
            key.private_key.pkcs8_pem().as_bytes(),
        )
        .unwrap();
        let output = openssl.wait_with_output().unwrap();
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("RSA key ok"),
            "{output:?}"
        );
    }

    #[test]
    fn primes_that_break_the_rules_are_refused() {
        let p = prime(2048);
        // The same prime twice, a composite, a short number, a non-number.
        let p_value = BigUint::parse_bytes(p.as_bytes(), 16).unwrap();
        let composite = (&p_value + BigUint::one()).to_str_radix(16);
        let close = (&p_value + BigUint::from(2u32)).to_str_radix(16);
        for q in [
            p.as_str(),
            composite.as_str(),
            close.as_str(),
            "ff",
            "not hex",
        ] {
            let refused = key_from_primes(KeyAlgorithm::Rsa2048, &subject(), &p, q);
            assert!(
                matches!(refused, Err(KeyError::RsaPrimesInvalid(_))),
                "{q} was accepted"
            );
        }
        let q = prime(2048);
        assert!(key_from_primes(KeyAlgorithm::EcdsaP256, &subject(), &p, &q).is_err());
        assert!(key_from_primes(KeyAlgorithm::Rsa3072, &subject(), &p, &q).is_err());
    }
}
