//! The local control plane does what a real cluster does: the seed walkthrough with real
//! openssl and kubectl, RBAC's refusals, and the subject restrictions; the image under
//! runc; the Helm chart and the kustomize base.

mod cache;
mod chart;
mod chart_pod;
mod control_plane;
mod image;
mod names;
mod walkthrough;
