//! The local control plane does what a real cluster does: the seed walkthrough with real
//! openssl and kubectl, RBAC's refusals, and the subject restrictions.

mod control_plane;
mod image;
mod walkthrough;
