//! A real load balancer in front of several CertDesk replicas: Debian's haproxy, round
//! robin per request, with health checks on `/readyz` so a stopped replica leaves the
//! rotation, and timeouts long enough for live status streams.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

/// A running haproxy; dropping it stops it.
pub struct Balancer {
    child: Child,
    _dir: tempfile::TempDir,
    /// The address clients use, such as `http://127.0.0.1:41234`.
    pub url: String,
}

impl Balancer {
    /// Starts haproxy in front of `backends` (base URLs such as `http://127.0.0.1:1234`)
    /// and returns once it accepts connections.
    pub fn start(backends: &[&str]) -> Result<Self> {
        let port = crate::tools::free_port()?;
        let servers: String = backends
            .iter()
            .enumerate()
            .map(|(i, url)| {
                format!(
                    "  server replica{i} {} check\n",
                    url.trim_start_matches("http://")
                )
            })
            .collect();
        let config = format!(
            "global\n  maxconn 4096\n\
             defaults\n  mode http\n  timeout connect 2s\n  timeout client 1h\n  timeout server 1h\n  timeout tunnel 1h\n  retries 3\n  option redispatch\n\
             frontend portal\n  bind 127.0.0.1:{port}\n  default_backend certdesk\n\
             backend certdesk\n  balance roundrobin\n  option httpchk GET /readyz\n  default-server inter 300ms fall 1 rise 1\n{servers}"
        );
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("haproxy.cfg");
        std::fs::write(&file, config)?;
        let child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start haproxy; install it with scripts/bootstrap.sh")?;
        let balancer = Self {
            child,
            _dir: dir,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("haproxy did not listen on 127.0.0.1:{port} within 10 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(balancer)
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
