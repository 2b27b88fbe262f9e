//! Stopping a replica: live status streams end cleanly at once, telling their pages to
//! reconnect, and the process exits well within its grace period.

use std::io::Read;
use std::process::{Command, Stdio};

use e2e::cluster::ControlPlane;

use crate::helpers::{Server, openssl_csr};

#[test]
#[ignore = "needs cluster"]
fn a_stopping_server_ends_its_event_streams_cleanly() {
    let cluster = ControlPlane::shared().unwrap_or_else(|e| panic!("{e:#}"));
    let mut server = Server::start(&cluster, "info", &[]);
    let body = serde_json::json!({
        "csr_pem": openssl_csr("/CN=shutdown-probe", "ec", &[]),
        "expiration_seconds": 3600,
    });
    let (status, ticket) = server.curl("POST", "/api/v1/requests", Some(&body), None);
    assert_eq!(status, 201, "{ticket}");
    let id = ticket["id"].as_str().expect("an id").to_owned();
    let url = format!("{}/api/v1/requests/{id}/events", server.url);
    let mut stream = Command::new("curl")
        .args(["-sSN", "--max-time", "30", &url])
        .stdout(Stdio::piped())
        .spawn()
        .expect("curl");
    // The first event (the pending status) arrives, then the server is told to stop.
    let mut first = [0u8; 64];
    let read = stream
        .stdout
        .as_mut()
        .expect("stdout")
        .read(&mut first)
        .expect("read");
    assert!(
        String::from_utf8_lossy(&first[..read]).contains("event: status"),
        "{}",
        String::from_utf8_lossy(&first[..read])
    );
    let exited = server.terminate(8);
    let exit = exited.expect("the server stopped before its 10 s grace ran out");
    assert!(exit.success(), "{exit:?}\n{}", server.logs());
    let output = stream.wait_with_output().expect("curl ends");
    let rest = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the stream was cut, not ended (curl: {:?})",
        output.status
    );
    assert!(rest.contains("event: closing"), "{rest}");
    assert!(rest.contains("retry: 1000"), "{rest}");
}
