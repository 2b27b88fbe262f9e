//! Control planes are independent and leave nothing behind.

use anyhow::Result;
use e2e::cluster::ControlPlane;
use e2e::tools::kubectl;

fn alive(pid: u32) -> bool {
    // A zombie is as good as gone: check the process state, not just its existence.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            !stat
                .split(')')
                .nth(1)
                .is_some_and(|rest| rest.trim_start().starts_with('Z'))
        })
        .unwrap_or(false)
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
        assert!(pids.iter().all(|&pid| alive(pid)));
        let dir = plane.dir().to_path_buf();
        plane.stop()?;
        for pid in pids {
            assert!(!alive(pid), "process {pid} outlived stop");
        }
        assert!(!dir.exists(), "{} was not removed", dir.display());
    }
    Ok(())
}
