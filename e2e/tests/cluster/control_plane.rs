//! Control planes are independent and leave nothing behind.

use anyhow::Result;
use e2e::cluster::ControlPlane;
use e2e::tools::kubectl;

/// A process as `/proc` knows it: its id and its start time (clock ticks since boot).
/// With `pid_max` at 32768 an id is soon reused; the pair names one process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Process {
    pid: u32,
    start: u64,
}

/// Returns the process now running under `pid` (`None` when there is none, or only a
/// zombie, which holds no port or file).
fn process(pid: u32) -> Option<Process> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces or parentheses; the fields after its last ')' do not.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // fields[0] is the state (field 3 of proc(5)); fields[19] the start time (field 22).
    if matches!(fields.first(), Some(&("Z" | "X"))) {
        return None;
    }
    Some(Process {
        pid,
        start: fields.get(19)?.parse().ok()?,
    })
}

#[test]
#[ignore = "needs the control plane's binaries (scripts/bootstrap.sh)"]
fn two_control_planes_run_side_by_side_and_stop_leaves_no_process() -> Result<()> {
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(ControlPlane::start);
        let b = s.spawn(ControlPlane::start);
        (a.join().expect("thread"), b.join().expect("thread"))
    });
    let (a, b) = (a?, b?);
    assert_ne!(a.server()?, b.server()?);
    assert_ne!(a.dir(), b.dir());

    // Each is its own cluster: an object made in one does not exist in the other.
    let ns = e2e::unique("only-in-a");
    assert!(kubectl(&a.admin_kubeconfig(), &["create", "namespace", &ns], None)?.success);
    assert!(kubectl(&a.admin_kubeconfig(), &["get", "namespace", &ns], None)?.success);
    assert!(!kubectl(&b.admin_kubeconfig(), &["get", "namespace", &ns], None)?.success);

    for plane in [a, b] {
        let pids = plane.pids()?;
        assert_eq!(
            pids.len(),
            3,
            "etcd, kube-apiserver, kube-controller-manager"
        );
        let processes: Vec<Process> = pids
            .iter()
            .map(|&pid| process(pid).ok_or_else(|| anyhow::anyhow!("process {pid} is not running")))
            .collect::<Result<_>>()?;
        let dir = plane.dir().to_path_buf();
        plane.stop()?;
        for started in processes {
            // The same id may already belong to a newer process; that one is not ours.
            assert_ne!(
                process(started.pid),
                Some(started),
                "process {} outlived stop",
                started.pid
            );
        }
        assert!(!dir.exists(), "{} was not removed", dir.display());
    }
    Ok(())
}
