//! Real command-line tools the tests use the way a person would: `kubectl`, `openssl`.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use anyhow::{Context, Result, bail};

/// What a finished command printed, and whether it succeeded.
#[derive(Debug)]
pub struct Run {
    /// Whether it exited 0.
    pub success: bool,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Self {
            success: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// Runs a command with optional standard input, returning what it printed.
pub fn run(program: &str, args: &[&str], stdin: Option<&[u8]>) -> Result<Run> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| {
            format!("cannot start {program}; is it installed (scripts/bootstrap.sh)?")
        })?;
    if let Some(input) = stdin {
        child.stdin.take().context("stdin")?.write_all(input)?;
    }
    Ok(child.wait_with_output()?.into())
}

/// Runs a command that must succeed, returning its standard output.
pub fn ok(program: &str, args: &[&str], stdin: Option<&[u8]>) -> Result<String> {
    let run = run(program, args, stdin)?;
    if !run.success {
        bail!(
            "{program} {} failed:\n{}{}",
            args.join(" "),
            run.stdout,
            run.stderr
        );
    }
    Ok(run.stdout)
}

/// Sends `body` as JSON to CertDesk with real curl (`POST`), a bearer token (from a
/// header file, so it is on no command line) when given; returns the status and the
/// JSON answer.
pub fn post_json(
    url: &str,
    token: Option<&str>,
    body: &serde_json::Value,
) -> Result<(u16, serde_json::Value)> {
    let headers = tempfile::NamedTempFile::new()?;
    let mut lines = "Content-Type: application/json\n".to_owned();
    if let Some(token) = token {
        lines.push_str(&format!("Authorization: Bearer {token}\n"));
    }
    std::fs::write(headers.path(), lines)?;
    let header_arg = format!("@{}", headers.path().display());
    let answer = ok(
        "curl",
        &[
            "--silent",
            "--show-error",
            "--insecure",
            "--header",
            &header_arg,
            "--data-binary",
            "@-",
            "--write-out",
            "\n%{http_code}",
            url,
        ],
        Some(body.to_string().as_bytes()),
    )?;
    let (json, status) = answer
        .trim_end()
        .rsplit_once('\n')
        .context("curl printed no status")?;
    let status: u16 = status.parse().context("curl's status is not a number")?;
    let json = serde_json::from_str(json).with_context(|| format!("not JSON: {json}"))?;
    Ok((status, json))
}

/// Runs `kubectl --kubeconfig <file> <args>`.
pub fn kubectl(kubeconfig: &Path, args: &[&str], stdin: Option<&[u8]>) -> Result<Run> {
    let file = kubeconfig
        .to_str()
        .context("kubeconfig path is not UTF-8")?;
    let mut all = vec!["--kubeconfig", file];
    all.extend_from_slice(args);
    run("kubectl", &all, stdin)
}

/// A PEM CSR for `subject` (such as `/CN=minjun/O=dev-team`) with a fresh P-256 key,
/// made by real openssl, the key thrown away.
pub fn openssl_csr(subject: &str) -> Result<String> {
    openssl_csr_keeping_key(subject, Path::new("/dev/null"))
}

/// [`openssl_csr`], with the key written to `key` (PEM).
pub fn openssl_csr_keeping_key(subject: &str, key: &Path) -> Result<String> {
    ok(
        "openssl",
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            key.to_str().context("a UTF-8 path")?,
            "-subj",
            subject,
        ],
        None,
    )
}

/// A self-signed serving certificate for 127.0.0.1 (P-256, one day), written to `cert`
/// and `key` by real openssl.
pub fn self_signed_for_loopback(cert: &Path, key: &Path) -> Result<()> {
    let (cert, key) = (
        cert.to_str().context("a UTF-8 path")?,
        key.to_str().context("a UTF-8 path")?,
    );
    ok(
        "openssl",
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            key,
            "-out",
            cert,
        ],
        None,
    )
    .map(|_| ())
}

/// A client certificate for `csr_pem` signed by the CA `ca_cert`/`ca_key` (files) with
/// exactly the validity given, by real `openssl ca`: the kind a cluster's signer never
/// makes (seconds long, say), for tests of what happens when one expires.
pub fn sign_client_certificate(
    ca_cert: &Path,
    ca_key: &Path,
    csr_pem: &str,
    not_before: time::OffsetDateTime,
    not_after: time::OffsetDateTime,
) -> Result<String> {
    let dir = tempfile::tempdir()?;
    let at = |file: &str| dir.path().join(file);
    std::fs::write(at("index.txt"), "")?;
    std::fs::write(at("serial"), "1000\n")?;
    std::fs::write(at("request.csr"), csr_pem)?;
    let config = format!(
        "[ca]\ndefault_ca = signer\n[signer]\ndatabase = {}\nnew_certs_dir = {}\nserial = {}\n\
         default_md = sha256\npolicy = any\nunique_subject = no\ncopy_extensions = none\n\
         [any]\ncommonName = supplied\norganizationName = optional\n\
         [client]\nbasicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\n\
         extendedKeyUsage = clientAuth\n",
        at("index.txt").display(),
        dir.path().display(),
        at("serial").display()
    );
    std::fs::write(at("ca.cnf"), config)?;
    let stamp = |t: time::OffsetDateTime| {
        let t = t.to_offset(time::UtcOffset::UTC);
        format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )
    };
    let path = |p: &Path| p.to_str().map(str::to_owned).context("a UTF-8 path");
    ok(
        "openssl",
        &[
            "ca",
            "-batch",
            "-notext",
            "-config",
            &path(&at("ca.cnf"))?,
            "-cert",
            &path(ca_cert)?,
            "-keyfile",
            &path(ca_key)?,
            "-in",
            &path(&at("request.csr"))?,
            "-out",
            &path(&at("certificate.pem"))?,
            "-startdate",
            &stamp(not_before),
            "-enddate",
            &stamp(not_after),
            "-extensions",
            "client",
        ],
        None,
    )?;
    Ok(std::fs::read_to_string(at("certificate.pem"))?)
}

/// A free loopback port for a server that another process will bind later (a CertDesk,
/// its webhook, a container). Chosen by `scripts/free_ports.py`, the same chooser the
/// scripts use: below the kernel's ephemeral range and never one handed out in the last
/// minutes, so neither an outgoing connection nor another test can take it meanwhile.
pub fn free_port() -> Result<u16> {
    let script = crate::repo_root().join("scripts/free_ports.py");
    let out = ok("python3", &[script.to_str().context("utf-8 path")?], None)?;
    out.trim()
        .parse()
        .with_context(|| format!("free_ports.py printed {out:?}"))
}
